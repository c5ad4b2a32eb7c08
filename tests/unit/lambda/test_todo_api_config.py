"""Configuration is read once, strictly: a misconfigured function fails at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from todo_api.config import ConfigError, load_config, tracing_enabled

LAMBDA_SRC = Path(__file__).resolve().parents[3] / "lambda_src"
GOOD_ENV = {
    "GRAPHQL_URL": "https://abc.appsync-api.eu-west-1.amazonaws.com/graphql",
    "AWS_REGION": "eu-west-1",
    "POWERTOOLS_SERVICE_NAME": "todo-api",
    "POWERTOOLS_METRICS_NAMESPACE": "TodoApp",
    "IDEMPOTENCY_TABLE_NAME": "TodoApp-dev-IdempotencyTable-ABC",
    "CORS_ALLOW_ORIGIN": "https://app.example.com",
}


def test_a_complete_environment_loads():
    config = load_config(GOOD_ENV)

    assert config.graphql_url == GOOD_ENV["GRAPHQL_URL"]
    assert config.region == "eu-west-1"
    assert config.metrics_namespace == "TodoApp"
    assert config.idempotency_table == "TodoApp-dev-IdempotencyTable-ABC"
    assert config.cors_allow_origin == "https://app.example.com"


@pytest.mark.parametrize("missing", sorted(GOOD_ENV))
def test_a_missing_variable_is_named_in_the_error(missing):
    env = {name: value for name, value in GOOD_ENV.items() if name != missing}

    with pytest.raises(ConfigError, match=missing):
        load_config(env)


@pytest.mark.parametrize(
    "url",
    ["appsync.example.com/graphql", "ftp://example.com/graphql", "http://example.com/graphql"],
)
def test_a_graphql_url_that_is_not_https_is_refused(url):
    with pytest.raises(ConfigError, match="GRAPHQL_URL"):
        load_config({**GOOD_ENV, "GRAPHQL_URL": url})


def test_plain_http_is_allowed_for_a_local_endpoint():
    config = load_config({**GOOD_ENV, "GRAPHQL_URL": "http://127.0.0.1:4000/graphql"})

    assert config.graphql_url.startswith("http://127.0.0.1")


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
        ({}, False),
    ],
)
def test_tracing_runs_only_in_lambda_unless_disabled(env, enabled):
    assert tracing_enabled(env) is enabled


def test_the_handler_refuses_to_start_without_graphql_url():
    # GIVEN a function environment without GRAPHQL_URL
    env = {key: value for key, value in os.environ.items() if key != "GRAPHQL_URL"}
    env.update({k: v for k, v in GOOD_ENV.items() if k != "GRAPHQL_URL"})

    # WHEN the handler module is imported (the Lambda init phase)
    result = subprocess.run(
        [sys.executable, "-c", "import todo_api.handler"],
        cwd=LAMBDA_SRC,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # THEN start-up fails and says which variable is missing
    assert result.returncode != 0
    assert "GRAPHQL_URL is missing" in result.stderr
