// A reference run of the benches: a shell script in the sandbox on a builder
// root filesystem, its working directory copied back out whole, git's
// identity the bench's own (dgit and debsign commit and sign under it).
import { runSandboxed, type Rootfs, type SandboxResult, type SandboxSpec } from '../../src/sandbox/launcher.js';

const BENCH_IDENTITY = {
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@invalid',
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@invalid',
};

/** `sh -c script` in `workDir` on `rootfs`, within five minutes; `more` adds read-only binds and environment. */
export function runBenchScript(
  rootfs: Rootfs,
  workDir: string,
  script: string,
  more: Pick<SandboxSpec, 'readOnly' | 'env'> = {},
): Promise<SandboxResult> {
  return runSandboxed({
    argv: ['sh', '-c', script],
    rootfs,
    workDir,
    keep: ['.'],
    timeoutMs: 300_000,
    ...(more.readOnly && { readOnly: more.readOnly }),
    env: { ...BENCH_IDENTITY, ...more.env },
  });
}
