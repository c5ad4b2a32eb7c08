"""CPython 3.14, the Lambda runtime's interpreter, for the cold-start benchmark.

A `python3.14` on PATH is used as it is. Otherwise Debian's unstable (sid) build is fetched
with apt-get from a private sources list (nothing is installed into the system), unpacked with
`dpkg -x` into .build/bench/python3.14/ together with the C library and shared libraries it was
linked against, and started through that tree's own dynamic loader. Its standard library is
then compiled once, as the Lambda runtime ships it compiled.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".build" / "bench" / "python3.14"
TREE = HOME / "tree"
LIBDIR = TREE / "usr" / "lib" / "x86_64-linux-gnu"
READY = HOME / ".ready"
SOURCES = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
PACKAGES = (
    "python3.14-minimal",
    "libpython3.14-minimal",
    "libpython3.14-stdlib",
    "libc6",
    "libssl3t64",
    "libexpat1",
    "zlib1g",
    "libffi8",
    "libbz2-1.0",
    "liblzma5",
    "libzstd1",
    "libmpdec4",
    "libuuid1",
)


def command() -> tuple[list[str], str]:
    """The argv prefix that starts CPython 3.14, and a description of where it came from."""
    native = shutil.which("python3.14")
    if native:
        return [native], f"{native} (on PATH)"
    if not READY.exists():
        _fetch()
    prefix = [str(LIBDIR / "ld-linux-x86-64.so.2"), "--library-path", str(LIBDIR)]
    return [*prefix, str(TREE / "usr" / "bin" / "python3.14")], "Debian sid python3.14-minimal"


def _fetch() -> None:
    print("fetching CPython 3.14 from Debian sid into .build/bench/ (once)", file=sys.stderr)
    shutil.rmtree(HOME, ignore_errors=True)
    etc, lists, cache, debs = (HOME / name for name in ("etc", "lists", "cache", "debs"))
    for folder in (etc, lists / "partial", cache / "archives" / "partial", debs, TREE):
        folder.mkdir(parents=True, exist_ok=True)
    (etc / "sid.sources").write_text(SOURCES)
    (etc / "none.list").write_text("")
    options = [
        f"-oDir::Etc::SourceList={etc / 'none.list'}",
        f"-oDir::Etc::SourceParts={etc}",
        f"-oDir::State::Lists={lists}",
        f"-oDir::Cache={cache}",
        "-oDir::State::Status=/dev/null",
        "-oAPT::Architecture=amd64",
        "-oAPT::Sandbox::User=root",
        "-qq",
    ]
    apt_get, dpkg = _tool("apt-get"), _tool("dpkg")
    subprocess.run([apt_get, *options, "update"], check=True)
    subprocess.run([apt_get, *options, "download", *PACKAGES], cwd=debs, check=True)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run([dpkg, "-x", str(deb), str(TREE)], check=True)
    prefix = [str(LIBDIR / "ld-linux-x86-64.so.2"), "--library-path", str(LIBDIR)]
    python = [*prefix, str(TREE / "usr" / "bin" / "python3.14")]
    stdlib = TREE / "usr" / "lib" / "python3.14"
    subprocess.run([*python, "-m", "compileall", "-q", str(stdlib)], check=False)
    shutil.rmtree(debs)
    READY.write_text("ok\n")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(
            f"fetching CPython 3.14 from Debian needs {name} (or put python3.14 on PATH)"
        )
    return path
