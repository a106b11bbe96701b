# Task runner. `make test` is the whole test suite (what CI runs); it installs what it needs.
.PHONY: test ci tools fmt lint snap bench schema

# scripts/test.sh: tools, fmt, clippy, tests (every phase runs; per-phase times printed last).
test:
	bash scripts/test.sh

ci: test

# Pinned Python validators (cfn-lint, checkov, moto, python-hcl2) into .tools/; Debian's chromium
# and playwright-core (tests/browser) for the viewer test; kinesalite and the Node AWS SDK
# (tests/kinesis) for the Kinesis tests; graphviz and mermaid (tests/graph) for the diagram tests.
tools:
	bash scripts/tools.sh
	bash scripts/browser.sh
	bash scripts/node-tools.sh
	bash scripts/graph-tools.sh

fmt:
	cargo fmt

lint:
	cargo clippy --all-targets -- -D warnings

# Review and accept snapshot changes (cargo install cargo-insta --locked).
snap:
	cargo insta test --review

schema:
	cargo run --quiet -- schema > specs/pipec.schema.json

bench:
	cargo bench
