// The sandbox of the unit tests: the real bubblewrap launcher over the
// host's own system directories (bwrapSandbox({ kind: 'host' })), so a stage
// runs the host's Debian tools (GNU tar, xz, gzip, bzip2, zstd, dpkg-source,
// git, gpgv; scripts/setup.sh installs them) with every confinement of the
// real one and no builder root filesystem. The versions are the host's
// (bookworm: dpkg-dev 1.21, xz 5.4), not tag2upload's builder's: a test whose
// expectation depends on the builder's versions, or that needs dgit, runs on
// the builder's root filesystem instead (builder-rootfs.ts), as an
// integration test.
import { bwrapSandbox, type Sandbox } from '../../src/sandbox/index.js';

export const hostSandbox: Sandbox = bwrapSandbox({ kind: 'host' });

/** For a stage's `sandboxFor`: every profile's root is the host's. */
export const hostSandboxFor = (): Promise<Sandbox> => Promise.resolve(hostSandbox);
