"""Run a client check script of clients/ (Node) and read what it saw.

Each script prints one `RESULT {...}` line (clients/node/outputs.mjs, `report`); anything else
it prints, and its exit status, is the failure's explanation.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
SCRIPT_TIMEOUT_S = 180


def run_node_check(script: str, outputs_file: Path, ca_file: Path, **env: str) -> dict[str, Any]:
    """Run `clients/<script>` against the stack in `outputs_file`, trusting `ca_file`."""
    environment = {
        **os.environ,
        "OUTPUTS": str(outputs_file),
        "NODE_EXTRA_CA_CERTS": str(ca_file),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        **env,
    }
    done = subprocess.run(
        ["node", script],
        cwd=CLIENTS,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, f"{script} failed:\n{done.stdout}\n{done.stderr}"
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    return result
