#!/bin/sh
# What the container answers when kiln runs it.
echo "$GREETING!"
echo "$(cat /srv/hello/built.txt); the answer is $(cat /var/lib/hello/answer)."
