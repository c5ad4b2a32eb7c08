# The verbs a newcomer needs. Every target sets up what it uses on a clean clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAGE ?= dev
# Where `make up` listens and keeps its state (0 picks a free port).
REST_PORT ?= 3000
GRAPHQL_PORT ?= 4000
AWS_PORT ?= 4566
STATE_DIR ?= .local
OUTPUTS ?= local-outputs.json
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
	bench clean

help:
	@echo "make up        - run the whole stack locally (synthesizes first when the app, stacks,"
	@echo "                 schema, resolvers or function code changed); Ctrl-C stops it"
	@echo "make reset     - forget the local users, todos and keys (make up then starts empty)"
	@echo "make test      - set up and run every test (unit, infrastructure, end to end)"
	@echo "make test-unit, make test-infra, make test-e2e - one layer of the tests"
	@echo "make lint      - ruff, mypy and the AppSync resolver linter"
	@echo "make synth     - synthesize the CloudFormation template into cdk.out/"
	@echo "make setup     - create .venv and node_modules (every other target does it too)"
	@echo "make bootstrap - cdk bootstrap, once per AWS account and region (needs AWS credentials)"
	@echo "make deploy    - deploy to AWS, writing cdk-outputs.json (needs AWS credentials)"
	@echo "make bench     - print cold-start and local-stack figures"
	@echo "make clean     - delete cdk.out, build files and local-outputs.json (not .local/)"
	@echo
	@echo "Variables: STAGE=$(STAGE) (dev, or e.g. prod: retained table, no introspection);"
	@echo "  for make up: REST_PORT=$(REST_PORT) GRAPHQL_PORT=$(GRAPHQL_PORT) AWS_PORT=$(AWS_PORT)"
	@echo "  (0 picks a free port), STATE_DIR=$(STATE_DIR), OUTPUTS=$(OUTPUTS)."
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
	$(CDK) synth -c stage=$* --quiet
	touch $@

synth: setup
	rm -f $(call SYNTHESIZED,$(STAGE))
	@$(MAKE) --no-print-directory $(call SYNTHESIZED,$(STAGE))

up: $(call SYNTHESIZED,$(STAGE))
	@$(PY) -m local --stage $(STAGE) --rest-port $(REST_PORT) --graphql-port $(GRAPHQL_PORT) \
		--aws-port $(AWS_PORT) --state-dir $(STATE_DIR) --outputs $(OUTPUTS)

reset: $(VENV)/.installed
	@$(PY) -m local --reset --state-dir $(STATE_DIR)

# The end-to-end tests run the dev stack from cdk.out.
test: setup $(call SYNTHESIZED,dev)
	$(PY) -m pytest

test-unit: setup
	$(PY) -m pytest tests/unit

test-infra: setup
	$(PY) -m pytest tests/infra

test-e2e: setup $(call SYNTHESIZED,dev)
	$(PY) -m pytest tests/e2e

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	npx --no-install eslint schema/resolvers

bootstrap: setup
	@echo "Bootstrapping CDK for stage $(STAGE): this needs AWS credentials (aws configure / AWS_PROFILE)."
	$(CDK) bootstrap -c stage=$(STAGE)

deploy: setup
	@echo "Deploying stage $(STAGE): this needs AWS credentials (aws configure / AWS_PROFILE)."
	$(CDK) deploy -c stage=$(STAGE) --outputs-file cdk-outputs.json

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf cdk.out .build local-outputs.json
