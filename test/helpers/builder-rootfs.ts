// The builder root filesystems for the integration tests: the sandbox over a
// profile's rootfs (sandbox/rootfs.json), built by mmdebstrap on first use
// (minutes) and then cached under the verifier's cache directory, shared by
// every test file and every run. Only a test that needs the builder's own
// tools asks for one: dgit, or tag2upload's versions of dpkg-source, tar and
// xz (their bytes are what is reproduced). A unit test runs on the host's
// tools instead (host-sandbox.ts).
import { bwrapSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ensureRootfs } from '../../src/sandbox/rootfs.js';
import type { Rootfs } from '../../src/sandbox/launcher.js';

/** How long a beforeAll may take to build a missing rootfs. */
export const ROOTFS_BUILD_MS = 30 * 60_000;

const roots = new Map<string, Promise<Rootfs & { kind: 'dir' }>>();

/** A profile's rootfs (default trixie, tag2upload's builder), built when the cache does not have it. */
export function builderRootfs(name = 'trixie'): Promise<Rootfs & { kind: 'dir' }> {
  let p = roots.get(name);
  if (!p) roots.set(name, (p = ensureRootfs(name)));
  return p;
}

/** The sandbox over a profile's rootfs (default trixie); as a stage's or verify's `sandboxFor`, each profile's own. */
export async function builderSandboxFor(name = 'trixie'): Promise<Sandbox> {
  return bwrapSandbox(await builderRootfs(name));
}
