// Checks resolver code the way AppSync does when it is saved, before the local stack serves it.
// Reads {files: [{name, code}], notEmulated: {namespaces, extensions, modules}} as JSON on
// stdin; prints a JSON list of findings {name, line, column, rule, message, source}.
//   source "aws":   a rule of @aws-appsync/eslint-plugin's `recommended` configuration (or the
//                   supported-features page, for `throw`): code AppSync refuses ("The code
//                   contains one or more errors");
//   source "local": code AppSync accepts but the local runtime cannot emulate yet.
// Run from the project root, so `node_modules` is the project's.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const { ESLint } = require('eslint');
const appsync = require('@aws-appsync/eslint-plugin');

const input = JSON.parse(readFileSync(0, 'utf8'));
const notEmulated = input.notEmulated;

const onlyEmulated = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    return {
      ImportDeclaration(node) {
        const from = node.source.value;
        if (notEmulated.modules.includes(from)) {
          context.report({ node, message: `the built-in module '${from}' is not emulated locally` });
        } else if (from !== '@aws-appsync/utils' && from !== '@aws-appsync/utils/dynamodb') {
          context.report({
            node,
            message: `import from '${from}': APPSYNC_JS code may import only AppSync's built-in modules (bundle other code first)`,
          });
        }
      },
      MemberExpression(node) {
        if (node.computed) return;
        const member = node.property.name;
        const owner = node.object.type === 'Identifier' ? node.object.name : null;
        if (owner === 'util' && notEmulated.namespaces.includes(member)) {
          context.report({ node, message: `util.${member} is not emulated locally` });
        }
        if (
          node.object.type === 'MemberExpression' &&
          node.object.object.type === 'Identifier' &&
          notEmulated.members.includes(`${node.object.object.name}.${node.object.property.name}.${member}`)
        ) {
          context.report({ node, message: `${node.object.object.name}.${node.object.property.name}.${member} is not emulated locally` });
        }
        if (owner === 'extensions' && notEmulated.extensions.includes(member)) {
          context.report({ node, message: `extensions.${member} is not emulated locally` });
        }
      },
    };
  },
};

// "Supported runtime features" lists `throw` among the statements APPSYNC_JS does not support
// (https://docs.aws.amazon.com/appsync/latest/devguide/supported-features.html); the plugin has
// no rule for it, so this one adds it (util.error is the way to fail a resolver).
const noThrow = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    return {
      ThrowStatement(node) {
        context.report({ node, message: 'throw statements are not supported; use util.error()' });
      },
    };
  },
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'appsync-code-check-'));
try {
  symlinkSync(path.join(process.cwd(), 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { allowJs: true, noEmit: true, target: 'ES2022', module: 'ES2022', moduleResolution: 'node', types: [] }, include: ['*.js'] }),
  );
  const byFile = {};
  input.files.forEach((file, index) => {
    const fileName = `resolver${index}.js`;
    byFile[fileName] = file.name;
    writeFileSync(path.join(dir, fileName), file.code);
  });
  const recommended = appsync.configs.recommended;
  const eslint = new ESLint({
    cwd: dir,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['*.js'],
        plugins: { ...recommended.plugins, local: { rules: { 'only-emulated': onlyEmulated } }, 'supported-features': { rules: { 'no-throw': noThrow } } },
        languageOptions: {
          ...recommended.languageOptions,
          ecmaVersion: 2022,
          sourceType: 'module',
          parserOptions: { project: './tsconfig.json', tsconfigRootDir: dir },
        },
        rules: { ...recommended.rules, 'supported-features/no-throw': 2, 'local/only-emulated': 2 },
      },
    ],
  });
  const results = await eslint.lintFiles(Object.keys(byFile));
  const findings = [];
  for (const result of results) {
    for (const message of result.messages) {
      const rule = message.ruleId ?? 'parse-error';
      findings.push({
        name: byFile[path.basename(result.filePath)],
        line: message.line ?? 0,
        column: message.column ?? 0,
        rule,
        message: message.message,
        source: rule === 'local/only-emulated' ? 'local' : 'aws',
      });
    }
  }
  process.stdout.write(JSON.stringify(findings));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
