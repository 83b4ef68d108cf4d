// Lint configuration: typescript-eslint's recommended rules with type information, and
// eslint-plugin-regexp's, with super-linear backtracking an error: the sources parse
// hostile bytes (tags, .dsc files, archive indexes, webhook bodies), and one regular
// expression that backtracks quadratically on a long line stops the service. And the
// module map's boundaries (docs/module-map.json).
import js from '@eslint/js';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';
import { readFileSync } from 'node:fs';

/** docs/module-map.json: the tiers of src/ folders and the stages, each imported through its face (index.ts). */
const map = JSON.parse(readFileSync(new URL('./docs/module-map.json', import.meta.url), 'utf8'));
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `no-restricted-imports` patterns for the files of `folder`: another stage's files other than its face, and any folder of a higher tier. */
function boundaryPatterns(folder) {
  const tier = map.tiers.findIndex((t) => t.includes(folder));
  const patterns = [];
  for (const stage of map.faced) {
    if (stage === folder) continue;
    patterns.push({
      regex: `^(?:\\.\\./)+${escape(stage)}/(?!index\\.js$)`,
      message: `import ${stage}/ through its face, ${stage}/index.js (docs/architecture.md §3)`,
    });
  }
  for (const higher of map.tiers.slice(0, Math.max(tier, 0)).flat()) {
    patterns.push({
      regex: `^(?:\\.\\./)+${escape(higher)}/`,
      message: `${higher}/ is above ${folder}/ on the module map: imports point down only (docs/architecture.md §3)`,
    });
  }
  return patterns;
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'fixtures/generated/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'bench/*.mjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ...regexp.configs['flat/recommended'],
    rules: {
      ...regexp.configs['flat/recommended'].rules,
      'regexp/no-super-linear-backtracking': 'error',
      'regexp/no-super-linear-move': 'error',
      // Style rules off: the classes are spelled as dgit's and dpkg's Perl spells them, so they can be compared.
      'regexp/prefer-d': 'off',
      'regexp/prefer-w': 'off',
      'regexp/use-ignore-case': 'off',
      'regexp/sort-flags': 'off',
      'regexp/no-unused-capturing-group': 'off',
    },
  },
  // The module map's boundaries: a stage is imported through its face, and imports point down the map.
  ...map.tiers.flat().map((folder) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: boundaryPatterns(folder) }] },
  })),
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', URL: 'readonly', console: 'readonly', performance: 'readonly' } },
  },
);
