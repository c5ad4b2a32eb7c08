"""surface.json is what AWS's installed packages say, not a hand-typed list.

Sources: @aws-appsync/utils (lib/index.d.ts) and @aws-appsync/eslint-plugin
(no-disallowed-methods, configs.recommended), as pinned in package-lock.json.
"""

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RUNTIME = ROOT / "local" / "appsync" / "runtime"


def test_the_committed_surface_matches_the_installed_aws_packages():
    # WHEN the surface is extracted again from node_modules
    extracted = subprocess.run(
        ["node", str(RUNTIME / "extract_surface.mjs")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    # THEN it is what the runtime uses (regenerate with the command in extract_surface.mjs)
    assert json.loads(extracted) == json.loads((RUNTIME / "surface.json").read_text())


def test_the_surface_names_the_members_people_rely_on():
    surface = json.loads((RUNTIME / "surface.json").read_text())
    assert {"error", "unauthorized", "authType", "autoId"} <= set(surface["util"])
    assert "isNull" not in surface["util"]
    assert "toMapValues" in surface["utilNamespaces"]["dynamodb"]
    assert "String.charCodeAt" in surface["deniedMethods"]
    assert "@aws-appsync/no-try" in surface["recommendedRules"]
