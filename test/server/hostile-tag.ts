// A bare git repository holding one tag2upload-looking tag whose signature
// block carries one line of `lineBytes` spaces ended by a non-space: the worst
// case of a trailing-white-space trim that backtracks. Made with git itself
// (`git hash-object --literally` writes the tag object as given), served over
// loopback smart HTTP, and the configuration that has a service verify it for
// real. Shared by test/server/hostile-job.test.ts and bench/hostile.bench.ts.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_KEYRINGS } from '../helpers/fixture-keyrings.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { SERVICE_KEYRING } from '../reconstruct/upload-fixtures.js';

export function hostileTagRepository(dir: string, lineBytes: number): string {
  const git = (args: string[], input?: string): string =>
    execFileSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      ...(input !== undefined && { input }),
      maxBuffer: 64 * 1024 * 1024,
    }).trim();
  execFileSync('git', ['init', '-q', '--bare', dir]);
  const tree = git(['mktree'], '');
  const commit = git(
    ['hash-object', '-t', 'commit', '-w', '--stdin'],
    `tree ${tree}\nauthor T <t@t2u.test> 1700000000 +0000\ncommitter T <t@t2u.test> 1700000000 +0000\n\nx\n`,
  );
  const name = 'debian/1.0-1';
  const tag = [
    `object ${commit}`,
    'type commit',
    `tag ${name}`,
    'tagger T <t@t2u.test> 1700000000 +0000',
    '',
    'x release 1.0-1 for unstable',
    '',
    '[dgit distro=debian split --quilt=linear]',
    '[dgit please-upload source=x version=1.0-1]',
    '-----BEGIN PGP SIGNATURE-----',
    '',
    `${' '.repeat(lineBytes)}x`,
    '-----END PGP SIGNATURE-----',
    '',
  ].join('\n');
  const object = git(['hash-object', '-t', 'tag', '-w', '--literally', '--stdin'], tag);
  git(['update-ref', `refs/tags/${name}`, object]);
  return name;
}

/** The hostile tag in `<root>/repos/hostile.git`, served over loopback: the server and the tag's name. */
export async function serveHostileTag(root: string, lineBytes: number): Promise<{ git: GitHttpServer; tag: string }> {
  const repos = join(root, 'repos');
  mkdirSync(repos);
  const tag = hostileTagRepository(join(repos, 'hostile.git'), lineBytes);
  return { git: await startGitHttpServer({ root: repos }), tag };
}

/** A service's configuration to verify it for real: one attempt, loopback HTTP, the fixture uploaders' keyring and dm.txt, the test service's upload keyring. */
export function hostileJobConfig(jobTimeoutMs: number): Record<string, unknown> {
  return {
    maxAttempts: 1,
    fetch: { allowHttpLoopback: true },
    keyrings: [{ path: FIXTURE_KEYRINGS.uploaders, role: 'uploader' }],
    dmTxt: FIXTURE_KEYRINGS.dmTxt,
    uploadKeyring: SERVICE_KEYRING,
    jobTimeoutMs,
  };
}
