# The verbs a newcomer needs. Every target sets up what it uses on a clean clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := node_modules/.bin/cdk
STAGE ?= dev
# Global secondary index reads see writes this many ms late, as on DynamoDB (0: at once).
INDEX_DELAY_MS ?= 0
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: help setup synth up test test-unit test-infra test-e2e lint deploy bench clean

help:
	@echo "make up      - synthesize and run the whole stack locally (Ctrl-C stops it)"
	@echo "make test    - set up and run every test (unit, infrastructure, end to end)"
	@echo "make synth   - synthesize the CloudFormation template into cdk.out/"
	@echo "make lint    - ruff, mypy and the AppSync resolver linter"
	@echo "make deploy  - deploy to AWS (needs AWS credentials)"
	@echo "make bench   - print cold-start and local-stack figures"

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

synth: setup
	$(CDK) synth -c stage=$(STAGE) --quiet

up: synth
	$(PY) -m local --stage $(STAGE) --index-delay-ms $(INDEX_DELAY_MS)

# The end-to-end tests run the dev stack from cdk.out, so they need a fresh dev synth.
test: setup
	$(CDK) synth -c stage=dev --quiet
	$(PY) -m pytest

test-unit: setup
	$(PY) -m pytest tests/unit

test-infra: setup
	$(PY) -m pytest tests/infra

# tests/e2e_notebook synthesizes examples/notebook itself (cached in .build/).
test-e2e: setup
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
	$(CDK) deploy -c stage=$(STAGE) --outputs-file cdk-outputs.json

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf cdk.out .build local-outputs.json
