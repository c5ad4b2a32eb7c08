// Compile every .py of a Lambda asset folder into CPython 3.14 bytecode, with Pyodide
// (CPython 3.14 built for WebAssembly) running in this Node:
//
//   node compile.mjs ASSET_DIR
//
// ASSET_DIR is mounted at /var/task, where Lambda unpacks the asset, so each .pyc records the
// source path Lambda shows in tracebacks. The .pyc files are hash-based and checked (PEP 552):
// every file of a CDK asset zip carries a 1980 timestamp, which would make timestamp-based
// bytecode look stale. stacks/bundling.py runs this when no python3.14 is on PATH.
import { loadPyodide } from "pyodide";

const [assetDir] = process.argv.slice(2);
if (!assetDir) {
  console.error("usage: node compile.mjs ASSET_DIR");
  process.exit(2);
}
const pyodide = await loadPyodide({ packages: [], checkAPIVersion: false });
pyodide.FS.mkdirTree("/var/task");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: assetDir }, "/var/task");
const ok = pyodide.runPython(`
import compileall, py_compile, sys
assert sys.version_info[:2] == (3, 14), sys.version
compileall.compile_dir(
    "/var/task", quiet=1, workers=1,
    invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
)
`);
process.exit(ok ? 0 : 1);
