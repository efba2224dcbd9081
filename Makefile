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

# `make test` is every test: unit, integration and the binary's own (one bun
# run), then the end-to-end and differential-conformance targets, which have
# their own names because CI and people also run them alone.
SEPARATE := --path-ignore-patterns='test/e2e-redis/**' --path-ignore-patterns='test/conformance/differential.test.ts'
test: setup build
	$(BUN) test $(SEPARATE); status=$$?; \
	$(MAKE) --no-print-directory e2e conformance || status=1; exit $$status

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

# One bun test per case (kiln against Docker's classic builder, or the case's
# other oracle); prints the cases × verdict table and totals at the end. For a
# subset and more detail: bun run test/conformance/differential/main.ts --help
conformance: setup build
	$(BUN) test test/conformance/differential.test.ts

clean:
	rm -rf dist
