"""`python -m local` as `make up` runs it: one ready line, the outputs file, a clean SIGTERM."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from e2e_support import CDK_OUT, ROOT, STACK_NAME

from stacks.constants import OUTPUT_KEYS

CONTRACT_KEYS = {*OUTPUT_KEYS, "AwsEndpoint"}  # what cdk deploy writes, plus local mode's
FREE_PORTS = ("--rest-port", "0", "--graphql-port", "0", "--aws-port", "0")


def runner(tmp_path: Path, *options: str, cdk_out: Path = CDK_OUT) -> list[str]:
    """`python -m local` on `cdk_out`, its outputs in tmp_path, saving no state."""
    return [
        sys.executable, "-m", "local", "--cdk-out", str(cdk_out),
        "--outputs", str(tmp_path / "local-outputs.json"), "--ephemeral", *options,
    ]  # fmt: skip


def test_runner_writes_outputs_prints_one_ready_line_and_stops_on_sigterm(tmp_path: Path):
    outputs = tmp_path / "local-outputs.json"
    command = runner(tmp_path, *FREE_PORTS)
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
        remaining, _ = process.communicate(timeout=30)  # raises if it does not stop by itself
    # THEN it stops by itself, cleanly, and says so
    assert process.returncode == 0
    assert "Local stack stopped." in remaining


def test_a_busy_port_is_one_line_naming_it_and_how_to_change_it(tmp_path: Path):
    # GIVEN something already listening on the port asked for the REST API
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # WHEN the runner is started on it
        result = subprocess.run(
            runner(tmp_path, "--rest-port", str(port), "--graphql-port", "0", "--aws-port", "0"),
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    # THEN it stops at once with one line: the port, what it is for, the option and make variable
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"local stack failed to start: port {port} (the REST API) on 127.0.0.1 is already in "
        "use: is another `make up` running? Stop it, or choose another port with --rest-port N "
        "(make up REST_PORT=N)"
    )
    assert not (tmp_path / "local-outputs.json").exists()


@pytest.mark.parametrize("after_s", [0.5, 2.0])
def test_ctrl_c_while_starting_stops_without_a_traceback(tmp_path: Path, after_s: float):
    # GIVEN a runner past the interpreter's own start, still importing or starting its parts
    command = runner(tmp_path, *FREE_PORTS)
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # WHEN the user presses Ctrl-C
    time.sleep(after_s)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    # THEN it ends as interrupted, says so in one line, and never claims to be ready
    assert "Traceback" not in out + err, err
    if process.returncode == 0:  # the stack was up before the signal: a normal clean stop
        assert out.splitlines()[-1] == "Local stack stopped."
        return
    assert process.returncode == 130
    assert "Local stack ready" not in out
    if out:  # interrupted while starting: the stack was stopped, and says so on stdout
        assert out.splitlines() == ["Local stack stopped before it was ready."]
    else:  # interrupted while importing: one line on stderr
        assert err.splitlines() == ["Interrupted before the local stack started."]


def _extended(tmp_path: Path, resources: dict[str, dict[str, object]]) -> Path:
    """A copy of cdk.out whose stack template has `resources` added, as a user would add them."""
    cdk_out = tmp_path / "cdk.out"
    shutil.copytree(CDK_OUT, cdk_out)
    template_file = cdk_out / f"{STACK_NAME}.template.json"
    template = json.loads(template_file.read_text())
    template["Resources"].update(resources)
    template_file.write_text(json.dumps(template))
    return cdk_out


@pytest.mark.parametrize(
    ("logical_id", "resource"),
    [
        ("JobsQueue", {"Type": "AWS::SQS::Queue", "Properties": {}}),
        # a function URL: nothing would serve it locally
        ("PublicUrl", {"Type": "AWS::Lambda::Url", "Properties": {}}),
        # a merged API association: nothing would serve the merged schema
        ("Merge", {"Type": "AWS::AppSync::SourceApiAssociation", "Properties": {}}),
    ],
)
def test_a_resource_type_it_cannot_run_is_one_line_naming_it(
    tmp_path: Path, logical_id: str, resource: dict[str, object]
):
    # GIVEN a stack extended with a resource of a type the runner does not emulate
    cdk_out = _extended(tmp_path, {logical_id: resource})
    # WHEN it is started
    command = runner(tmp_path, *FREE_PORTS, cdk_out=cdk_out)
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    # THEN it stops before serving, with one line naming the resource and its type
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"local stack failed to start: resource {logical_id} has type {resource['Type']}, "
        "which the local runner neither provisions nor knows to be safe to ignore"
    )


def test_what_it_skips_is_listed_once_in_its_log(tmp_path: Path):
    # GIVEN the runner pointed at a stack by name, as at any other stack
    command = runner(tmp_path, "--stack", STACK_NAME, *FREE_PORTS)
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Local stack ready")
    finally:
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=30)
    # THEN each skipped resource type and property is named once, with its reason
    skipped = [
        line.split(" INFO ", 1)[1] for line in log.splitlines() if "not emulated" in line.lower()
    ]
    assert len(skipped) == len(set(skipped))
    assert any(line.startswith("Not emulated: AWS::Logs::LogGroup") for line in skipped)
    assert any("AWS::AppSync::GraphQLApi.XrayEnabled" in line for line in skipped)
