# kiln — build, test, benchmark. `make` builds dist/kiln; `make test` sets up a
# fresh machine (system packages as root, npm ci) and runs every test.
BUN := node_modules/.bin/bun
SRC := $(shell find src -name '*.ts') package.json scripts/build.ts

.PHONY: all build test check typecheck lint bench demo e2e conformance setup clean

all: build

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

build: dist/kiln
dist/kiln: node_modules/.installed $(SRC)
	$(BUN) run scripts/build.ts

setup: node_modules/.installed
	bash scripts/setup-host.sh

test: setup build
	$(BUN) test

typecheck: node_modules/.installed
	node_modules/.bin/tsc --noEmit -p .

lint: node_modules/.installed
	$(BUN) run scripts/lint.ts

check: typecheck lint

bench: setup build
	$(BUN) run bench/main.ts $(BENCH)

demo: setup build
	bash scripts/demo.sh

e2e: setup build
	$(BUN) test test/e2e-redis

conformance: setup build
	$(BUN) run test/conformance/differential/main.ts $(CASES)

clean:
	rm -rf dist
