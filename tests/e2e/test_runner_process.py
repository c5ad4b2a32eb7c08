"""`python -m local` as `make up` runs it: one ready line, the outputs file, a clean SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from e2e_support import CDK_OUT, ROOT, STACK_NAME

from stacks.constants import OUTPUT_KEYS

CONTRACT_KEYS = {*OUTPUT_KEYS, "AwsEndpoint"}  # what cdk deploy writes, plus local mode's


def test_runner_writes_outputs_prints_one_ready_line_and_stops_on_sigterm(tmp_path: Path):
    outputs = tmp_path / "local-outputs.json"
    command = [
        sys.executable, "-m", "local", "--cdk-out", str(CDK_OUT), "--outputs", str(outputs),
        "--aws-port", "0", "--graphql-port", "0", "--rest-port", "0",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        # GIVEN the runner has said it is ready
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert ready.startswith("Local stack ready"), ready
        # THEN the outputs file has the deploy-time shape and keys, with loopback URLs
        written = json.loads(outputs.read_text())
        assert list(written) == [STACK_NAME]
        assert set(written[STACK_NAME]) >= CONTRACT_KEYS
        rest = written[STACK_NAME]["RestApiUrl"]
        assert rest.startswith("http://127.0.0.1:") and rest.endswith("/dev/")
        # AND the REST endpoint answers (401 without a token)
        assert requests.get(rest + "items", timeout=10).status_code == 401
    finally:
        # WHEN it gets SIGTERM
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        remaining, _ = process.communicate(timeout=30)
    # THEN it stops by itself, cleanly, and says so
    assert process.returncode == 0
    assert "Local stack stopped." in remaining
    assert time.monotonic() - started < 30
