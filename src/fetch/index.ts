// The face of fetch/: what the rest of src/ may import from it. A file outside
// fetch/ imports from here, never from the folder's other files (the lint's
// boundaries rule and test/architecture/module-map.test.ts check it).
export { ObjectTooLargeError } from './cat-file-reader.js';
export type { GitObject, ObjectReader } from './cat-file-reader.js';
export { LocalRepository } from './local-repository.js';
export { RemoteRepository } from './remote-repository.js';
export type { RefInfo, Repository } from './repository.js';
