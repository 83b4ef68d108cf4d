// Test harness for the authenticate stage: real gpg and git make every signed
// tag (never openpgp.js), from the fixture keys of fixtures/keys/ or from
// throwaway keys a test makes for one scenario; gpgv and `git verify-tag` give
// the reference verdicts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const KEYS_DIR = resolve(import.meta.dirname, '../../fixtures/keys');
export const UPLOADERS = join(KEYS_DIR, 'keyrings/uploaders.gpg');
export const DM_RING = join(KEYS_DIR, 'keyrings/dm.gpg');
export const DM_TXT = join(KEYS_DIR, 'keyrings/dm.txt');

export interface FixtureKey {
  primary: string;
  signing: string;
  algo: string;
  created: string;
  uid: string;
}

export function fixtureKeys(): Record<string, FixtureKey> {
  return JSON.parse(readFileSync(join(KEYS_DIR, 'keys.json'), 'utf8')) as Record<string, FixtureKey>;
}

export interface RunResult {
  status: number;
  stdout: Buffer;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: Uint8Array | string; cwd?: string } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8', ...opts.env },
    input: opts.input,
    cwd: opts.cwd,
    maxBuffer: 1 << 28,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

function must(r: RunResult, what: string): RunResult {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr}`);
  return r;
}

/** A throwaway GNUPGHOME. Times are gpg --faked-system-time values, e.g. "20240301T000000". */
export class Gpg {
  private constructor(readonly home: string) {}

  static create(): Gpg {
    const home = mkdtempSync(join(tmpdir(), 't2u-auth-gpg-'));
    return new Gpg(home);
  }

  /** Runs gpg; `interactive` drops --batch for menus driven through --command-fd (gen-revoke, edit-key). */
  run(args: string[], opts: { at?: string; input?: Uint8Array | string; interactive?: boolean } = {}): RunResult {
    const time = opts.at ? ['--faked-system-time', `${opts.at}!`] : [];
    const batch = opts.interactive ? [] : ['--batch'];
    return run('gpg', [...batch, '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', ...time, ...args], {
      env: { GNUPGHOME: this.home },
      input: opts.input,
    });
  }

  must(args: string[], opts: { at?: string; input?: Uint8Array | string; interactive?: boolean } = {}): Buffer {
    return must(this.run(args, opts), `gpg ${args.join(' ')}`).stdout;
  }

  importFile(path: string): void {
    this.must(['--import', path]);
  }

  /** Fingerprints (upper case) of the primary key and then each subkey of `who`. */
  fingerprints(who: string): string[] {
    const out = this.must(['--with-colons', '--list-keys', who]).toString();
    return out
      .split('\n')
      .filter((l) => l.startsWith('fpr:'))
      .map((l) => l.split(':')[9]!);
  }

  /** Makes a key; returns its primary fingerprint. */
  genKey(uid: string, algo: string, usage: string, at: string, extra: string[] = []): string {
    this.must([...extra, '--quick-gen-key', uid, algo, usage, 'never'], { at });
    return this.fingerprints(`=${uid}`)[0]!;
  }

  exportPublic(fpr: string, file: string): void {
    writeFileSync(file, this.must(['--export', fpr]));
  }

  exportSecret(fpr: string): Buffer {
    return this.must(['--armor', '--export-secret-keys', fpr]);
  }

  /** An armored detached signature by exactly `signer` (a fingerprint) made at `at`. */
  detachSign(payload: Uint8Array, signer: string, at: string, extra: string[] = []): Buffer {
    return this.must(['--armor', ...extra, '-u', `${signer}!`, '--detach-sign', '-o', '-'], { at, input: payload });
  }

  close(): void {
    run('gpgconf', ['--kill', 'all'], { env: { GNUPGHOME: this.home } });
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** A throwaway git repository with one commit, for `git mktag` and `git verify-tag`. */
export class TagRepo {
  readonly commit: string;
  private constructor(readonly dir: string) {
    const env = {
      GIT_AUTHOR_NAME: 'T',
      GIT_AUTHOR_EMAIL: 't@t2u.test',
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@t2u.test',
      GIT_AUTHOR_DATE: '1709251200 +0000',
      GIT_COMMITTER_DATE: '1709251200 +0000',
    };
    must(run('git', ['init', '-q', dir]), 'git init');
    const tree = must(run('git', ['mktree'], { cwd: dir, input: '' }), 'git mktree')
      .stdout.toString()
      .trim();
    this.commit = must(run('git', ['commit-tree', tree, '-m', 'root'], { cwd: dir, env }), 'git commit-tree')
      .stdout.toString()
      .trim();
  }

  static create(): TagRepo {
    return new TagRepo(mkdtempSync(join(tmpdir(), 't2u-auth-repo-')));
  }

  /** The tag payload (the part the signature covers) that git-debpush would sign. */
  payload(
    name = 'debian/1.0-1',
    at = 1709251200,
    message = 'hello-t2u release 1.0-1 for unstable\n\n[dgit distro=debian split --quilt=linear]\n[dgit please-upload source=hello-t2u version=1.0-1]\n',
  ): Buffer {
    return Buffer.from(`object ${this.commit}\ntype commit\ntag ${name}\ntagger T2U Tester <t@t2u.test> ${at} +0000\n\n${message}`);
  }

  /** Stores raw tag bytes with `git mktag` (git's own checks) and returns the object id. */
  mktag(raw: Uint8Array): string {
    return must(run('git', ['mktag'], { cwd: this.dir, input: raw }), 'git mktag')
      .stdout.toString()
      .trim();
  }

  /** `git verify-tag --raw` with the given GNUPGHOME: exit status and gpg's status lines. */
  verifyTag(id: string, gnupghome: string): { status: number; lines: string[] } {
    const r = run('git', ['verify-tag', '--raw', id], { cwd: this.dir, env: { GNUPGHOME: gnupghome } });
    return { status: r.status, lines: statusLines(r.stderr) };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function statusLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('[GNUPG:] '))
    .map((l) => l.slice(9));
}

/** gpgv's verdict on a detached signature, with dgit's reading of it (VALIDSIG of class 00). */
export function gpgv(
  keyrings: string[],
  payload: Uint8Array,
  signature: Uint8Array,
): { status: number; lines: string[]; validsig?: string[]; dgitAccepts: boolean } {
  const dir = mkdtempSync(join(tmpdir(), 't2u-auth-gpgv-'));
  try {
    writeFileSync(join(dir, 'payload'), payload);
    writeFileSync(join(dir, 'sig.asc'), signature);
    const args = ['--status-fd=2', ...keyrings.flatMap((k) => ['--keyring', k]), join(dir, 'sig.asc'), join(dir, 'payload')];
    const r = run('gpgv', args, { env: { GNUPGHOME: dir } });
    const lines = statusLines(r.stderr);
    const valid = lines.find((l) => l.startsWith('VALIDSIG '))?.split(' ');
    // dgit-repos-server checksig_keyring: VALIDSIG whose class field ($l[9]) is "00" accepts.
    return { status: r.status, lines, ...(valid ? { validsig: valid } : {}), dgitAccepts: valid !== undefined && valid[9] === '00' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The raw tag object: payload then armored signature, as `git tag -s` writes it. */
export function signedTag(payload: Uint8Array, signature: Uint8Array): Buffer {
  return Buffer.concat([payload, signature]);
}
