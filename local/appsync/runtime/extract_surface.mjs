// Derives what the APPSYNC_JS runtime offers from AWS's own npm packages, so the local runtime
// is not built from a hand-typed list:
//   - @aws-appsync/utils (lib/index.d.ts): the members of `util`, of each `util.<namespace>`,
//     of `extensions` and of `runtime`;
//   - @aws-appsync/eslint-plugin: the built-in methods its no-disallowed-methods rule lists as
//     not implemented, and the rules of its `recommended` configuration.
// Usage: node local/appsync/runtime/extract_surface.mjs > local/appsync/runtime/surface.json
// (tests/unit/local/test_runtime_surface.py fails when the committed file is stale).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const ts = require('typescript');

const utilsDir = path.dirname(require.resolve('@aws-appsync/utils/package.json'));
const pluginDir = path.dirname(require.resolve('@aws-appsync/eslint-plugin/package.json'));
const entry = path.join(utilsDir, 'lib', 'index.d.ts');

const program = ts.createProgram([entry], { noEmit: true, types: [] });
const checker = program.getTypeChecker();
const source = program.getSourceFile(entry);

function aliasType(name) {
  let found;
  ts.forEachChild(source, (node) => {
    if (ts.isTypeAliasDeclaration(node) && node.name.text === name) {
      found = checker.getTypeAtLocation(node);
    }
  });
  if (!found) throw new Error(`type ${name} not found in ${entry}`);
  return found;
}

const memberNames = (type) => checker.getPropertiesOfType(type).map((p) => p.name).sort();

function isCallable(symbol) {
  return checker.getTypeOfSymbol(symbol).getCallSignatures().length > 0;
}

const utilType = aliasType('Util');
const util = [];
const namespaces = {};
for (const member of checker.getPropertiesOfType(utilType)) {
  if (isCallable(member)) {
    util.push(member.name);
  } else {
    namespaces[member.name] = memberNames(checker.getTypeOfSymbol(member));
  }
}

function deniedMethods() {
  const file = path.join(pluginDir, 'lib', 'rules', 'no-disallowed-methods.js');
  const text = readFileSync(file, 'utf8');
  const parsed = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  let list;
  const visit = (node) => {
    if (ts.isVariableDeclaration(node) && node.name.getText() === 'DENIED_METHODS') {
      list = node.initializer.elements.map((element) => element.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(parsed);
  if (!list) throw new Error(`DENIED_METHODS not found in ${file}`);
  return list;
}

const plugin = require('@aws-appsync/eslint-plugin');
const version = (dir) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;

const surface = {
  sources: {
    '@aws-appsync/utils': version(utilsDir),
    '@aws-appsync/eslint-plugin': version(pluginDir),
  },
  util: util.sort(),
  utilNamespaces: Object.fromEntries(Object.entries(namespaces).sort()),
  extensions: memberNames(aliasType('Extensions')),
  runtime: memberNames(aliasType('Runtime')),
  deniedMethods: deniedMethods(),
  recommendedRules: Object.keys(plugin.configs.recommended.rules).sort(),
};
process.stdout.write(`${JSON.stringify(surface, null, 2)}\n`);
