"""The explorer page the local GraphQL endpoint serves to browsers (local/appsync/explorer.html).

What it sends is tested end to end (tests/e2e/test_explorer.py); here, that its script parses,
so a typo cannot ship a blank page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from local.appsync.explorer import PAGE


def test_the_explorer_script_is_valid_javascript(tmp_path: Path):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed (make setup installs the project's Node tools with it)")
    (script,) = re.findall(r"<script>\n(.*?)</script>", PAGE, re.S)
    path = tmp_path / "explorer.js"
    path.write_text(script, encoding="utf-8")
    result = subprocess.run(
        [node, "--check", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
