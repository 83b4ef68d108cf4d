// The sandbox's face: the port the stages receive (Sandbox) and what makes
// the real one (bwrapSandbox over a root filesystem, builderSandbox for a
// builder profile's), with the builder profiles, which are data about those
// root filesystems.
export {
  besideTheBuild,
  builderSandbox,
  bwrapSandbox,
  requireCompleted,
  type Sandbox,
  type SandboxCommand,
  type SandboxLimits,
  type SandboxProcess,
  type SandboxResult,
} from './sandbox.js';
export { profileByName, profileOrder, PROFILES, type BuilderProfile } from './builder-profiles.js';
export { SMALL_INPUT_BELOW_BYTES, XZ_DECOMPRESS_ONE_THREAD } from './launcher.js';
export { TAKE_TAG_SH } from './take-tag.js';
export { shareReadOnly } from './identity.js';
