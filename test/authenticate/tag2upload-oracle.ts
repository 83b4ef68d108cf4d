// The oracle for tag verdicts: Debian's own tag2upload server code, run on a
// tag. dgit-infrastructure's `dgit-repos-server --tag2upload9` (trixie, the
// `tag2upload-server` rootfs of sandbox/rootfs.json) is given the tag object's
// bytes on stdin (`git cat-file tag`, as its own readtag reads them), the
// keyrings in tag2upload-oracled.service's AUTH-SPEC form
// (`uploaders,a:dm,m<dm.txt>`), a sendmail that discards the mails, and an
// "ssh" to the builder that runs the builder's commands in the same sandbox.
// So the server splits the tag at its first `-----BEGIN PGP` line, runs gpgv
// over each keyring in order (VALIDSIG of class 00 accepts, BADSIG rejects),
// parses the message, checks dm.txt, then has the builder fetch the tag from
// the repository (a file:// URL; DGIT_DRS_ANY_URL lifts the https:// rule),
// compare it with what it verified, check it out and check the changelog.
// The first step that needs the network (`dgit --for-push fetch SUITE`, the
// archive's state) is where the "ssh" stops: reaching it means tag2upload
// would have gone on to build and upload the tag.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSandboxed } from '../../src/sandbox/launcher.js';
import { builderRootfs } from '../helpers/builder-rootfs.js';

export const ORACLE_ROOTFS = 'tag2upload-server';

export interface OracleKeyrings {
  /** dgit's `a` keyrings: any package (debian-keyring). */
  readonly uploaders: readonly string[];
  /** dgit's `m` keyrings: the package must be in the primary key's dm.txt Allow: list. */
  readonly dm: readonly string[];
  readonly dmTxt: string;
}

export interface OracleVerdict {
  /** tag2upload went on to build the tag (its checks passed and it asked the archive for the package's state). */
  readonly accepted: boolean;
  /** The server's message when it rejected the tag ("rejected: …"). */
  readonly message: string;
  /** The report the server mails (its steps, and why it stopped). */
  readonly report: string;
}

// ssh HOST COMMAND: the builder's commands run here, up to the archive step.
const SSH_STUB = `#!/bin/sh
case "$2" in
*' --for-push fetch '*) echo reached >/work/archive-reached; echo 'oracle: no archive here' >&2; exit 1 ;;
esac
exec sh -c "$2"
`;

// What tag2upload's manager hands the server: the tag object, or nothing when there is none.
const RUN = `#!/bin/sh
git -C /repo cat-file tag "refs/tags/$TAG" >/work/wholetag 2>/work/cat-file.err || { echo 'irrecoverable'; exit 0; }
mkdir -p /work/builder
cd /work/server && exec dgit-repos-server "$@" </work/wholetag
`;

const SENDMAIL_STUB = `#!/bin/sh
cat >/dev/null
`;

/**
 * tag2upload's verdict on refs/tags/`tagName` of the repository `repo` (a
 * host directory, read-only) for source package `putativePackage` (what the
 * manager read from the tag's `source=`).
 */
export async function tag2uploadVerdict(
  repo: string,
  tagName: string,
  putativePackage: string,
  keyrings: OracleKeyrings,
): Promise<OracleVerdict> {
  const rootfs = await builderRootfs(ORACLE_ROOTFS);
  const work = mkdtempSync(join(tmpdir(), 't2u-oracle-'));
  try {
    const ring = (src: string, name: string): string => {
      copyFileSync(src, join(work, name));
      return `/work/${name}`;
    };
    const spec = [
      ...keyrings.uploaders.map((k, i) => `${ring(k, `uploaders-${i}.gpg`)},a`),
      ...keyrings.dm.map((k, i) => `${ring(k, `dm-${i}.gpg`)},m${ring(keyrings.dmTxt, 'dm.txt')}`),
    ].join(':');
    mkdirSync(join(work, 'distro', 'outgoing-mail'), { recursive: true });
    mkdirSync(join(work, 'distro', 'repos'));
    writeFileSync(join(work, 'ssh'), SSH_STUB, { mode: 0o755 });
    writeFileSync(join(work, 'sendmail'), SENDMAIL_STUB, { mode: 0o755 });
    writeFileSync(join(work, 'run'), RUN, { mode: 0o755 });
    mkdirSync(join(work, 'server'));
    chmodSync(work, 0o777);
    const r = await runSandboxed({
      argv: [
        '/work/run',
        'debian',
        '/work/distro',
        spec,
        '--tag2upload9',
        '/work/ssh',
        'builder.invalid',
        '/work/builder',
        'env',
        'tag2upload <noreply@t2u.test>',
        'reply@t2u.test',
        'copies@t2u.test',
        '600',
        '0000000000000000',
        '--',
        'job-1',
        'file:///repo',
        tagName,
        putativePackage,
      ],
      rootfs,
      workDir: work,
      keep: ['archive-reached', 'server/dgit-tmp/email-report'],
      readOnly: [{ host: repo, inside: '/repo' }],
      env: { DGIT_DRS_SENDMAIL: '/work/sendmail', DGIT_DRS_ANY_URL: '1', TAG: tagName, TZ: 'UTC' },
      timeoutMs: 60_000,
    });
    const stdout = r.stdout.toString('utf8');
    let reached = false;
    try {
      reached = readFileSync(join(work, 'archive-reached'), 'utf8').trim() === 'reached';
    } catch {
      reached = false;
    }
    let report = '';
    try {
      report = readFileSync(join(work, 'server', 'dgit-tmp', 'email-report'), 'utf8');
    } catch {
      report = '';
    }
    if (r.timedOut || r.exitCode === null) throw new Error(`dgit-repos-server did not finish: ${r.stderr.toString('utf8').slice(-2000)}`);
    // A rejection is a protocol response; a failure after the checks (a builder command) is a death with a message.
    const stderr = r.stderr.toString('utf8').trim().split('\n');
    const message = /^message (.*)$/m.exec(stdout)?.[1] ?? (reached ? '' : (stderr.at(-1) ?? `exit ${r.exitCode}`));
    return { accepted: reached, message, report };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
