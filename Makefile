# The verbs a newcomer needs. Every target sets up what it uses on a clean clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk
STAGE ?= dev
# Global secondary index reads see writes this many ms late, as on DynamoDB (0: at once).
INDEX_DELAY_MS ?= 0
# Extra CDK context for synth and deploy, e.g. CONTEXT="-c corsOrigin=https://app.example.com"
CONTEXT ?=
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: help setup synth up test test-unit test-infra test-e2e lint deploy bench clean \
	clients chromium web

help:
	@echo "make up      - synthesize and run the whole stack locally (Ctrl-C stops it)"
	@echo "make test    - set up and run every test (unit, infrastructure, end to end)"
	@echo "make synth   - synthesize the CloudFormation template into cdk.out/"
	@echo "make lint    - ruff, mypy and the AppSync resolver linter"
	@echo "make deploy  - deploy to AWS (needs AWS credentials)"
	@echo "make bench   - print cold-start and local-stack figures"
	@echo "make web     - serve the web client against the deployed stack (cdk-outputs.json)"

$(VENV)/.installed: requirements.txt requirements-dev.txt lambda_src/requirements.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

# The clients people use (Amplify JS, Apollo) and the web client, in their own npm project.
clients/node_modules/.installed: clients/package.json clients/package-lock.json
	npm ci --prefix clients --no-audit --no-fund --loglevel=error
	touch $@

clients/web/dist/app.js: clients/node_modules/.installed $(wildcard clients/web/src/*.js)
	npm run --prefix clients --silent build -- --log-level=warning

clients: clients/node_modules/.installed clients/web/dist/app.js

# Debian's Chromium for the browser test; nothing to do when it is there (CI runs as root).
chromium:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

synth: setup
	$(CDK) synth -c stage=$(STAGE) $(CONTEXT) --quiet

up: synth clients
	$(PY) -m local --stage $(STAGE) --tls --web-dir clients/web --index-delay-ms $(INDEX_DELAY_MS)

# The same page against a deployed stack: `make deploy` wrote cdk-outputs.json.
web: clients
	cp cdk-outputs.json clients/web/outputs.json
	@echo "Web client: http://127.0.0.1:8080/"
	$(PY) -m http.server 8080 --bind 127.0.0.1 --directory clients/web

# The end-to-end tests run the dev stack from cdk.out, so they need a fresh dev synth.
test: setup clients chromium
	$(CDK) synth -c stage=dev --quiet
	$(PY) -m pytest

test-unit: setup
	$(PY) -m pytest tests/unit

test-infra: setup
	$(PY) -m pytest tests/infra

# tests/e2e_notebook synthesizes examples/notebook itself (cached in .build/).
test-e2e: setup clients chromium
	$(CDK) synth -c stage=dev --quiet
	$(PY) -m pytest tests/e2e tests/e2e_notebook

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	npx --no-install tsc -p schema/resolvers
	npx --no-install tsc -p examples/notebook/resolvers
	npx --no-install eslint schema/resolvers examples/notebook/resolvers

deploy: setup
	@echo "Deploying stage $(STAGE): this needs AWS credentials (aws configure / AWS_PROFILE)."
	$(CDK) deploy -c stage=$(STAGE) $(CONTEXT) --outputs-file cdk-outputs.json

# The benchmark's own extras: matplotlib for the plot and the Node peers it measures against.
BENCH_NODE := benchmarks/node
$(VENV)/.bench-installed: $(VENV)/.installed benchmarks/requirements.txt
	$(PY) -m pip install -q -r benchmarks/requirements.txt -c constraints.txt
	touch $@

$(BENCH_NODE)/%/node_modules/.installed: $(BENCH_NODE)/%/package.json $(BENCH_NODE)/%/package-lock.json
	npm ci --prefix $(BENCH_NODE)/$* --no-audit --no-fund --loglevel=error
	touch $@

bench: setup synth $(VENV)/.bench-installed $(BENCH_NODE)/tutorial/node_modules/.installed $(BENCH_NODE)/modern/node_modules/.installed
	$(PY) -m benchmarks

clean:
	rm -rf cdk.out .build local-outputs.json
