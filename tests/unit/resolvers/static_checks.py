"""Run the repository's resolver checks (tsc --checkJs and the official AppSync ESLint rules).

`scratch_copy` builds a throw-away copy of the check set-up, so a test can feed the checks a
resolver that must fail without touching schema/resolvers/.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ESLINT = ROOT / "node_modules" / ".bin" / "eslint"
TSC = ROOT / "node_modules" / ".bin" / "tsc"
RESOLVERS = ROOT / "schema" / "resolvers"


def eslint(cwd: Path, target: str = "schema/resolvers") -> subprocess.CompletedProcess[str]:
    return _run([str(ESLINT), "--no-warn-ignored", target], cwd)


def tsc(cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run([str(TSC), "-p", "schema/resolvers", "--pretty", "false"], cwd)


def scratch_copy(tmp_path: Path) -> Path:
    """A copy of the lint and type-check set-up (config, tsconfig, shared types) in tmp_path."""
    shutil.copy(ROOT / "eslint.config.mjs", tmp_path / "eslint.config.mjs")
    resolvers = tmp_path / "schema" / "resolvers"
    resolvers.mkdir(parents=True)
    for shared in ("tsconfig.json", "graphql-types.d.ts"):
        shutil.copy(RESOLVERS / shared, resolvers / shared)
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    return tmp_path


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )
