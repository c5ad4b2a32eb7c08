// Lints the APPSYNC_JS resolvers with the official AppSync rules, so code the APPSYNC_JS
// runtime would reject (try/catch, classes, async, regex literals, recursion, disallowed
// built-ins, ...) fails here first. `recommended` includes the type-aware rules; the
// TypeScript project service gives them type information for these plain .js files
// through schema/resolvers/tsconfig.json (allowJs, no emit).
import appsync from '@aws-appsync/eslint-plugin';

export default [
  { ignores: ['cdk.out/**', '.build/**', '.venv/**', 'node_modules/**'] },
  {
    files: ['schema/resolvers/**/*.js', 'examples/*/resolvers/**/*.js'],
    ...appsync.configs.recommended,
    languageOptions: {
      ...appsync.configs.recommended.languageOptions,
      ecmaVersion: 2022,
      sourceType: 'module',
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
];
