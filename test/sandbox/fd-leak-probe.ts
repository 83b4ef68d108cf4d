// Run by launcher.test.ts with an extra descriptor 200 inherited without
// close-on-exec: prints what fd 200 is here and inside the sandbox.
import { readlinkSync } from 'node:fs';
import { runSandboxed } from '../../src/sandbox/launcher.js';

const r = await runSandboxed({ argv: ['readlink', '/proc/self/fd/200'], rootfs: { kind: 'host' }, timeoutMs: 10_000 });
process.stdout.write(
  `${JSON.stringify({ outside: readlinkSync('/proc/self/fd/200'), inside: r.stdout.toString().trim(), exitCode: r.exitCode })}\n`,
);
