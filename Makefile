# The verbs a newcomer needs. Every target sets up what it uses on a clean clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAGE ?= dev
# Global secondary index reads see writes this many ms late, as on DynamoDB (0: at once).
INDEX_DELAY_MS ?= 0
# Extra CDK context for synth and deploy, e.g. CONTEXT="-c corsOrigin=https://app.example.com"
CONTEXT ?=
# Where `make up` listens and keeps its state (0 picks a free port).
REST_PORT ?= 3000
GRAPHQL_PORT ?= 4000
AWS_PORT ?= 4566
STATE_DIR ?= .local
OUTPUTS ?= local-outputs.json
WEB_PORT ?= 8080
# The CDK CLI, and the app it runs through jsii, use Node 22 from npm (tools/node22): the
# machine's Node 20 is end of life and would print a banner on every command.
NODE22 := tools/node22/node_modules/.bin
CDK := PATH="$(CURDIR)/$(NODE22):$$PATH" node_modules/.bin/cdk
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# What a synthesized template is made from: `make up` synthesizes again only when one changed.
SYNTH_INPUTS := app.py cdk.json \
	$(shell find stacks schema lambda_src -type f ! -path '*/__pycache__/*' ! -name '*.pyc')
SYNTHESIZED = cdk.out/.synthesized-$(1)

.PHONY: help setup synth up reset test test-unit test-infra test-e2e lint bootstrap deploy \
	bench clean clients chromium web

help:
	@echo "make up        - run the whole stack locally over HTTPS, with the web client (synthesizes"
	@echo "                 first when the app, stacks, schema, resolvers or function code changed);"
	@echo "                 Ctrl-C stops it"
	@echo "make reset     - forget the local users, todos and keys (make up then starts empty)"
	@echo "make test      - set up and run every test (unit, infrastructure, end to end)"
	@echo "make test-unit, make test-infra, make test-e2e - one layer of the tests"
	@echo "make lint      - ruff, mypy, the resolver type check and the AppSync resolver linter"
	@echo "make synth     - synthesize the CloudFormation template into cdk.out/"
	@echo "make setup     - create .venv and node_modules (every other target does it too)"
	@echo "make clients   - install the client packages and build the web client (clients/)"
	@echo "make chromium  - install Debian's Chromium for the browser test (needs root or sudo)"
	@echo "make web       - serve the web client against a deployed stack (cdk-outputs.json)"
	@echo "make bootstrap - cdk bootstrap, once per AWS account and region (needs AWS credentials)"
	@echo "make deploy    - deploy to AWS, writing cdk-outputs.json (needs AWS credentials)"
	@echo "make bench     - print cold-start and local-stack figures"
	@echo "make clean     - delete cdk.out, build files and local-outputs.json (not .local/)"
	@echo
	@echo "Variables: STAGE=$(STAGE) (dev, or e.g. prod: retained table, no introspection);"
	@echo "  CONTEXT='-c key=value' for synth and deploy (e.g. -c corsOrigin=https://app.example.com);"
	@echo "  for make up: REST_PORT=$(REST_PORT) GRAPHQL_PORT=$(GRAPHQL_PORT) AWS_PORT=$(AWS_PORT)"
	@echo "  WEB_PORT=$(WEB_PORT) (0 picks a free port), STATE_DIR=$(STATE_DIR), OUTPUTS=$(OUTPUTS),"
	@echo "  INDEX_DELAY_MS=$(INDEX_DELAY_MS) (index reads see writes that many ms late)."
	@echo "After make up, ./todo is the command-line client (./todo --help)."

$(VENV)/.installed: requirements.txt requirements-dev.txt lambda_src/requirements.txt constraints.txt pyproject.toml
	@echo "Installing Python packages into $(VENV)/ (first run only: a minute or more)..."
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(NODE22)/.installed: tools/node22/package.json tools/node22/package-lock.json
	npm ci --prefix tools/node22 --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed $(NODE22)/.installed

# A stamp per stage; cdk.out holds one stage at a time, so a synth removes the others' stamps.
cdk.out/.synthesized-%: $(SYNTH_INPUTS) $(VENV)/.installed node_modules/.installed $(NODE22)/.installed
	@echo "Synthesizing stage $* into cdk.out/ (first run, or its sources changed)..."
	rm -f cdk.out/.synthesized-*
	$(CDK) synth -c stage=$* $(CONTEXT) --quiet
	touch $@

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
	rm -f $(call SYNTHESIZED,$(STAGE))
	@$(MAKE) --no-print-directory $(call SYNTHESIZED,$(STAGE))

up: $(call SYNTHESIZED,$(STAGE)) clients
	@$(PY) -m local --stage $(STAGE) --rest-port $(REST_PORT) --graphql-port $(GRAPHQL_PORT) \
		--aws-port $(AWS_PORT) --state-dir $(STATE_DIR) --outputs $(OUTPUTS) \
		--tls --web-dir clients/web --web-port $(WEB_PORT) --index-delay-ms $(INDEX_DELAY_MS)

reset: $(VENV)/.installed
	@$(PY) -m local --reset --state-dir $(STATE_DIR)

# The same page against a deployed stack: `make deploy` wrote cdk-outputs.json.
web: clients
	cp cdk-outputs.json clients/web/outputs.json
	@echo "Web client: http://127.0.0.1:8080/"
	$(PY) -m http.server 8080 --bind 127.0.0.1 --directory clients/web

# The end-to-end tests run the dev stack from cdk.out.
test: setup clients chromium $(call SYNTHESIZED,dev)
	$(PY) -m pytest

test-unit: setup
	$(PY) -m pytest tests/unit

test-infra: setup
	$(PY) -m pytest tests/infra

# tests/e2e_notebook synthesizes examples/notebook itself (cached in .build/).
test-e2e: setup clients chromium $(call SYNTHESIZED,dev)
	$(PY) -m pytest tests/e2e tests/e2e_notebook

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	npx --no-install tsc -p schema/resolvers
	npx --no-install tsc -p examples/notebook/resolvers
	npx --no-install eslint schema/resolvers examples/notebook/resolvers

bootstrap: setup
	@echo "Bootstrapping CDK for stage $(STAGE): this needs AWS credentials (aws configure / AWS_PROFILE)."
	$(CDK) bootstrap -c stage=$(STAGE)

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
