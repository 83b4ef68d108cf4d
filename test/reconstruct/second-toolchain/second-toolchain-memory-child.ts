// Runs the second toolchain once in a process of its own and prints its
// outcome and the process's peak resident set (for
// second-toolchain-memory.integration.test.ts: a Buffer's bytes live outside V8's heap,
// so the heap limit alone would not see them; the resident set does).
// Argument: JSON { repo, commit, uploadDir, dsc }.
import { join } from 'node:path';
import { CatFileReader } from '../../../src/fetch/cat-file-reader.js';
import { runSecondToolchain } from '../../../src/reconstruct/second-toolchain/second-toolchain.js';
import { builderSandboxFor } from '../../helpers/builder-rootfs.js';
import { packageOf } from '../upload-fixtures.js';

const args = JSON.parse(process.argv[2]!) as { repo: string; commit: string; uploadDir: string; dsc: string };
const sandbox = await builderSandboxFor();
const objects = new CatFileReader(
  {
    rootfs: { kind: 'host' },
    readOnly: [{ host: args.repo, inside: '/repo' }],
    env: { GIT_DIR: '/repo' },
    timeoutMs: 600_000,
    limits: { maxOutputBytes: Number.MAX_SAFE_INTEGER },
  },
  64 * 1024 ** 2,
);
// Read (and its files digested) before the measure starts: the upload as verify hands it over.
const upload = await packageOf(join(args.uploadDir, args.dsc));
const before = process.resourceUsage().maxRSS;
try {
  const r = await runSecondToolchain({
    objects,
    commit: args.commit,
    quiltMode: '',
    umask: '0022',
    dpkgDev: '1.22',
    sandbox,
    appended: { dgit: '', gitTagInfo: '', gitTagTagger: '' },
    upload,
  });
  process.stdout.write(JSON.stringify({ result: r, maxRssBefore: before * 1024, maxRss: process.resourceUsage().maxRSS * 1024 }));
} finally {
  await objects.close();
}
