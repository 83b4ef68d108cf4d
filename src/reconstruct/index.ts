// The face of reconstruct/: what the rest of src/ may import from it. A file outside
// reconstruct/ imports from here, never from the folder's other files (the lint's
// boundaries rule and test/architecture/module-map.test.ts check it).
export { reproduce, uploadHints, warmFirstBuild } from './reproduce.js';
export type { WarmBuild } from './build.js';
export type { ProfileHints } from './profile-hints.js';
export type { Attempt, ReproduceInput, ReproduceResult, ReproduceVerdict } from './reproduce.js';
export { runSecondToolchain } from './second-toolchain/second-toolchain.js';
export type { SecondToolchainResult } from './second-toolchain/second-toolchain.js';
