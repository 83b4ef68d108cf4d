// The face of upload/: what the rest of src/ may import from it. A file outside
// upload/ imports from here, never from the folder's other files (the lint's
// boundaries rule and test/architecture/module-map.test.ts check it).
export { makeHttpSource, uploadErrorOf } from './http-source.js';
export type { HttpSource } from './http-source.js';
export { dscNameOfUrl, obtainUpload } from './obtain.js';
export type { ObtainOptions, ObtainedUpload, UploadLocator } from './obtain.js';
export { fetchSourcesIndex, findSourcesEntry, tag2uploadEntries } from './sources-index.js';
export type { SourcesEntry, SourcesIndex } from './sources-index.js';
export { readLocalPackage } from './local-package.js';
export type { LocalPackageResult } from './local-package.js';
