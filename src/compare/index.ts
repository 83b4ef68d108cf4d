// The face of compare/: what the rest of src/ may import from it. A file outside
// compare/ imports from here, never from the folder's other files (the lint's
// boundaries rule and test/architecture/module-map.test.ts check it).
export { checkContent } from './content.js';
export type { ContentCheckResult } from './content.js';
export { compareBuild, digestFile, fieldDifferences } from './rebuilt-package.js';
export type { Comparison, FieldDifference, FileComparison, FileDigest } from './rebuilt-package.js';
export { diffTarballs } from './tar-diff.js';
export { unifiedDiff } from './unified-diff.js';

export { unpackRefusal } from './content.js';
