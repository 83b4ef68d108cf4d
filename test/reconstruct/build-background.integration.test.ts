// The build script's work started in the background. The fields step: what
// it takes from the tag object (the issuer fingerprint, the tagger) is
// worked out, and add-fields.pl started, while dgit builds; each of their
// failures is still the build's, at step fields, with its own exit status
// and message, and a build that fails first is reported as before, without
// waiting on them. git deborig: compiled while the tag is checked out, run
// after; its failure is the build's at step origs, as git's run of it fails.
// Tags are made here on the native fixture's commit, signed with a test key
// where they need a signature, and built by the trixie rootfs's dgit.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFromGit,
  buildFromTree,
  warmBuild,
  type BuildResult,
  type GitBuildInput,
  type TagObject,
} from '../../src/reconstruct/build.js';
import { profileByName } from '../../src/sandbox/builder-profiles.js';
import type { Sandbox, SandboxResult } from '../../src/sandbox/index.js';
import { builderSandboxFor, ROOTFS_BUILD_MS } from '../helpers/builder-rootfs.js';
import { REPO_ROOT, bundleOf, dscOf, uploadCase } from './upload-fixtures.js';

const profile = profileByName('trixie')!;
const native = uploadCase('native');
let sandbox: Sandbox;
let dir: string;
let repo: string;
let gnupg: string;
let signer: string;
/** The native upload's commit, as its tag names it. */
let base: string;

const git = (args: string[], input?: string | Buffer): string =>
  execFileSync('git', ['-C', repo, ...args], {
    ...(input !== undefined ? { input } : {}),
    env: { ...process.env, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@b.c', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@b.c' },
  })
    .toString()
    .trim();

/** refs/tags/NAME: an annotated tag of COMMIT for the native package, signed by the test key unless `unsigned`, stored as given (git's checks of a tagger left out). */
function makeTag(name: string, commit: string, opts: { tagger?: string; unsigned?: boolean; items?: string } = {}): void {
  const body =
    `object ${commit}\ntype commit\ntag ${name}\ntagger ${opts.tagger ?? 'T2U Test Ed25519 <ed25519@t2u.test> 1709251560 +0000'}\n\n` +
    `t2u-native release 2.0 for unstable\n\n[dgit distro=debian split]\n[dgit please-upload source=t2u-native version=2.0${opts.items ?? ''}]\n`;
  const signature = opts.unsigned
    ? ''
    : execFileSync('gpg', ['--homedir', gnupg, '--batch', '--quiet', '--armor', '--detach-sign', '--local-user', signer], {
        input: body,
      }).toString();
  const oid = git(['hash-object', '-t', 'tag', '-w', '--literally', '--stdin'], body + signature);
  git(['update-ref', `refs/tags/${name}`, oid]);
}

/** A commit of the native package with debian/control's source paragraph given one more field. */
function commitWithControlField(field: string): string {
  const tip = base;
  const control = git(['show', `${tip}:debian/control`]).replace(/^(Rules-Requires-Root: no)$/m, `$1\n${field}`);
  const index = join(dir, 'index');
  const env = { ...process.env, GIT_INDEX_FILE: index };
  execFileSync('git', ['-C', repo, 'read-tree', tip], { env });
  const blob = git(['hash-object', '-w', '--stdin'], control);
  execFileSync('git', ['-C', repo, 'update-index', '--cacheinfo', `100644,${blob},debian/control`], { env });
  const tree = execFileSync('git', ['-C', repo, 'write-tree'], { env }).toString().trim();
  return git(['commit-tree', tree, '-p', tip, '-m', 'control field']);
}

/** Sizes of a small upload (startsEarly): dgit compiles early, git deborig runs beside its start. */
const small = { inputBytes: 0, unpackedBytes: 0 };
const sha256Of = (dir: string, name: string): string =>
  createHash('sha256')
    .update(readFileSync(join(dir, name)))
    .digest('hex');

const build = (tag: string): Promise<BuildResult> =>
  buildFromGit({ repo, tag, existingOrigs: [], profile, sandbox, timeoutMs: 300_000, tmpDir: dir });

function failure(r: BuildResult): string {
  expect(r.ok).toBe(false);
  return r.ok ? '' : (r.reasons[0]?.message ?? '');
}

beforeAll(async () => {
  sandbox = await builderSandboxFor('trixie');
  dir = mkdtempSync(join(tmpdir(), 't2u-build-fields-'));
  chmodSync(dir, 0o755);
  repo = join(dir, 'repo.git');
  execFileSync('git', ['clone', '-q', '--mirror', bundleOf(native), repo]);
  execFileSync('chmod', ['-R', 'a+rX', repo]);
  base = git(['rev-parse', `refs/tags/${native.tag}^{commit}`]);
  gnupg = join(dir, 'gnupg');
  execFileSync('mkdir', ['-m', '700', gnupg]);
  execFileSync('gpg', ['--homedir', gnupg, '--batch', '--quiet', '--import', join(REPO_ROOT, 'fixtures', 'keys', 'ed25519.sec.asc')]);
  signer = /^fpr:{9}([0-9A-F]{40}):/m.exec(
    execFileSync('gpg', ['--homedir', gnupg, '--batch', '--with-colons', '--list-secret-keys']).toString(),
  )![1]!;
}, ROOTFS_BUILD_MS);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the build script’s fields step', () => {
  it('adds the fields from the tag worked out beside the build', async () => {
    const commit = base;
    makeTag('debian/2.0', commit);
    const r = await build('debian/2.0');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    try {
      const oid = git(['rev-parse', 'refs/tags/debian/2.0']);
      // The key's signing subkey, as the fixture's own upload (made by tag2upload's code, signed by the same key) names it.
      const fp = /^Git-Tag-Info: tag=[0-9a-f]{40} fp=([0-9a-f]{40})$/m.exec(readFileSync(dscOf(native), 'utf8'))![1]!;
      expect(r.facts.tag).toMatchObject({ object: oid, fingerprint: fp, dgitView: commit });
      expect(r.facts.taggerTime).toBe(1709251560);
      expect(Object.keys(r.steps)).toEqual(['init', 'origs', 'build', 'fields']);
      const dsc = readFileSync(join(r.productsDir, 't2u-native_2.0.dsc'), 'utf8');
      expect(dsc).toContain(`\nGit-Tag-Info: tag=${oid} fp=${fp}\nGit-Tag-Tagger: T2U Test Ed25519 <ed25519@t2u.test>\n`);
      expect(dsc).toContain(`\nDgit: ${commit} debian archive/debian/2.0 https://git.dgit.debian.org/t2u-native\n`);
    } finally {
      await r.cleanup();
    }
  });

  it('fails at step fields when the tag’s signature names no issuer fingerprint', async () => {
    makeTag('debian/2.0', base, { unsigned: true });
    expect(failure(await build('debian/2.0'))).toMatch(
      /failed at step fields \(exited with status 67\): .*the tag's signature names no issuer fingerprint/,
    );
  });

  it('fails at step fields when the tag has no usable tagger', async () => {
    makeTag('debian/2.0', base, { tagger: 'A <a b@c> 1709251560 +0000' });
    expect(failure(await build('debian/2.0'))).toMatch(
      /failed at step fields \(exited with status 65\): .*the tag has no usable tagger header/,
    );
  });

  it('fails at step fields with add-fields.pl’s own message when it fails', async () => {
    // dpkg-source copies an XS- field of the source paragraph into the .dsc, so the field is there before the service adds it.
    makeTag('debian/2.0', commitWithControlField('XS-Git-Tag-Info: x'));
    expect(failure(await build('debian/2.0'))).toMatch(
      /failed at step fields \(exited with status 255\): .*dsc already contains field Git-Tag-Info/,
    );
  });

  it('reports a build that fails first as the build’s failure, without waiting on the fields', async () => {
    makeTag('debian/2.0', commitWithControlField('Bogus field without a colon'));
    const r = await build('debian/2.0');
    expect(failure(r)).toMatch(/failed at step build \(exited with status 66\)/);
    expect(r.durationMs).toBeLessThan(120_000);
  });

  it('fails at step fields for a plain tree when add-fields.pl fails', async () => {
    const tree = join(dir, 'tree');
    execFileSync('mkdir', [tree]);
    execFileSync('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', repo, commitWithControlField('XS-Git-Tag-Info: x'), tree]);
    execFileSync('chmod', ['-R', 'a+rX', tree]);
    const r = await buildFromTree({
      tree,
      fields: { gitTagInfo: 'tag=x fp=y' },
      existingOrigs: [],
      profile,
      sandbox,
      timeoutMs: 300_000,
      tmpDir: dir,
    });
    expect(failure(r)).toMatch(/failed at step fields \(exited with status 255\): .*dsc already contains field Git-Tag-Info/);
  });
});

describe('the build script’s git deborig', () => {
  it.each([
    ['first', {}],
    ['beside dgit’s start', { inputBytes: 0, unpackedBytes: 0 }],
  ] as const)('fails at step origs as git’s own run of git deborig fails (a native package has no orig), run %s', async (_, sizes) => {
    git(['update-ref', 'refs/tags/upstream/2.0', base]);
    makeTag('debian/2.0', base, { items: ` upstream-tag=upstream/2.0 upstream=${base}` });
    const message = failure(
      await buildFromGit({ repo, tag: 'debian/2.0', existingOrigs: [], profile, sandbox, timeoutMs: 300_000, tmpDir: dir, ...sizes }),
    );
    // The same checkout, and git deborig as git runs it, in the same rootfs.
    const direct = await sandbox.run({
      argv: [
        'sh',
        '-c',
        'cd /tmp && git init -q w && cd w && git fetch -q /src/repo refs/tags/debian/2.0 && git checkout -q FETCH_HEAD && git deborig "$1" >/dev/null; echo "status $?"',
        'sh',
        base,
      ],
      readOnly: [{ host: repo, inside: '/src/repo' }],
      timeoutMs: 120_000,
    });
    const [, status] = /status (\d+)/.exec(direct.stdout.toString())!;
    const said = direct.stderr.toString().trim();
    expect(said).toMatch(/native package/);
    expect(message).toContain(`failed at step origs (exited with status ${status}): ${said}`);
  });

  it.each([
    ['', {}],
    [' (nor the dgit started early)', { inputBytes: 0, unpackedBytes: 0 }],
  ] as const)('does not run when the build stops before the origs step%s', async (_, sizes) => {
    const other = git(['rev-parse', 'refs/tags/debian/2.0']);
    makeTag('debian/2.0-2', base, { items: ` upstream-tag=upstream/2.0 upstream=${base}` });
    const raw = Buffer.from(git(['cat-file', 'tag', other]) + '\n');
    // The repository's debian/2.0-2 is not the object given: the script stops in its init step, before git deborig.
    const r = await buildFromGit({
      repo,
      tag: 'debian/2.0-2',
      tagObject: { oid: other, raw },
      existingOrigs: [],
      profile,
      sandbox,
      timeoutMs: 300_000,
      tmpDir: dir,
      ...sizes,
    });
    const message = failure(r);
    expect(message).toMatch(
      /failed at step init \(exited with status 65\): refs\/tags\/debian\/2\.0-2 is not the tag object whose items were read$/,
    );
  });
});

// git deborig beside dgit's start (small uploads): dgit waits for it at its
// first dpkg-parsechangelog. Here git deborig is made to take 3 s more than
// it does (its wait module sleeps after its "go"), far longer than dgit's
// start, and the gbp upload, made by tag2upload's code, must still come out
// byte for byte, under the dgit of each rootfs the profiles use.
describe('git deborig beside dgit’s start', () => {
  const gbp = uploadCase('gbp');
  /** An upload fixture's tag, built under `p` by `s`, for an upload of `sizes`. */
  const buildCase = (
    u: typeof gbp,
    s: Sandbox,
    sizes: { inputBytes?: number; unpackedBytes?: number },
    p = profile,
  ): Promise<BuildResult> =>
    buildFromGit({ repo: bundleOf(u), tag: u.tag, existingOrigs: [], profile: p, sandbox: s, timeoutMs: 300_000, tmpDir: dir, ...sizes });
  /** The sandbox, with each build's files changed first by `change` (the build directory on the host). */
  const changed = (inner: Sandbox, change: (workDir: string) => void): Sandbox & { runs: number } => {
    const s = {
      ...inner,
      runs: 0,
      run: (command: Parameters<Sandbox['run']>[0]) => {
        if (command.workDir !== undefined && command.argv.includes('/work/build.sh')) {
          s.runs++;
          change(command.workDir);
        }
        return inner.run(command);
      },
    };
    return s;
  };
  const slowDeborig = (workDir: string): void => {
    const pm = join(workDir, 'perl5', 'T2uDeborigWait.pm');
    writeFileSync(pm, readFileSync(pm, 'utf8').replace(/\n1;\n$/, '\nselect(undef, undef, undef, 3);\n1;\n'));
  };

  for (const name of ['trixie', 'forky'] as const) {
    it(`makes the upload's orig and ${name === 'trixie' ? 'every file' : 'the .dsc naming it'} when git deborig ends long after dgit started (${name})`, async () => {
      const inner = await builderSandboxFor(name);
      const slowed = changed(inner, slowDeborig);
      const under = profileByName(name)!;
      const r = await buildCase(gbp, slowed, small, under);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      try {
        expect(r.facts).toMatchObject({ origs: 'deborig', deborigBeside: true, dgitEarly: true });
        expect(slowed.runs).toBe(1);
        // dgit's build (with the slowed git deborig inside it) took the 3 s; its start did not wait for them.
        expect(r.steps['origs']).toBeLessThan(3000);
        expect(r.steps['build']).toBeGreaterThan(3000);
        const orig = gbp.dscFiles.find((f) => f.name.includes('.orig.'))!;
        expect(sha256Of(r.productsDir, orig.name)).toBe(orig.sha256);
        expect(readFileSync(join(r.productsDir, r.facts.dsc), 'utf8')).toContain(` ${orig.sha256} ${orig.size} ${orig.name}\n`);
        if (name === 'trixie') for (const f of gbp.dscFiles) expect(sha256Of(r.productsDir, f.name)).toBe(f.sha256);
      } finally {
        await r.cleanup();
      }
    });
  }

  it('builds again with git deborig first when dgit did not run the dpkg-parsechangelog that waits', async () => {
    // The waiting dpkg-parsechangelog removed: dgit finds the real one, and is not held back.
    const unheld = changed(sandbox, (workDir) => {
      slowDeborig(workDir);
      rmSync(join(workDir, 'origs-wait'), { recursive: true, force: true });
    });
    const r = await buildCase(gbp, unheld, small);
    expect(unheld.runs).toBe(2);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    try {
      expect(r.facts.origs).toBe('deborig');
      expect(r.facts.deborigBeside).toBeUndefined();
      expect(r.facts.dgitEarly).toBeUndefined();
      for (const f of gbp.dscFiles) expect(sha256Of(r.productsDir, f.name)).toBe(f.sha256);
    } finally {
      await r.cleanup();
    }
  });

  it('runs git deborig first for an upload of unknown or large size', async () => {
    const r = await buildCase(gbp, sandbox, { inputBytes: 20 * 1024 ** 2, unpackedBytes: 0 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.facts.deborigBeside).toBeUndefined();
    expect(r.facts.dgitEarly).toBeUndefined();
    await r.cleanup();
  });

  it('compiles dgit while a native tag is checked out, and makes every file of its upload', async () => {
    // A native upload has no git deborig: only dgit starts early.
    const r = await buildCase(native, sandbox, small);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    try {
      expect(r.facts.dgitEarly).toBe(true);
      expect(r.facts.deborigBeside).toBeUndefined();
      for (const f of native.dscFiles) expect(sha256Of(r.productsDir, f.name)).toBe(f.sha256);
      expect(readFileSync(join(r.productsDir, r.facts.dsc), 'utf8')).toBe(signedBody(readFileSync(dscOf(native), 'utf8')));
    } finally {
      await r.cleanup();
    }
  });
});

/** The body of a clearsigned .dsc (no dash-escaped lines in a .dsc), as dgit wrote it before it was signed. */
function signedBody(text: string): string {
  const m = /^-----BEGIN PGP SIGNED MESSAGE-----\nHash: [^\n]+\n\n([\s\S]*?)-----BEGIN PGP SIGNATURE-----/.exec(text);
  if (!m) throw new Error('not a clearsigned .dsc');
  // The line break before the armour belongs to it (RFC 4880 §7.1).
  return m[1]!.slice(0, -1);
}

// A build started before the tag is authenticated (warmBuild): dgit and git
// deborig compile while the tag is checked, the script waiting for the
// tag's items on its standard input; adopted, it makes the upload as any
// build does; released, it ends at the end of its input, having read
// nothing of the repository.
describe('a build started before the tag is authenticated', () => {
  const gbp = uploadCase('gbp');
  /** The sandbox, each build script's run recorded (its result too). */
  const recorded = (inner: Sandbox): Sandbox & { results: Promise<SandboxResult>[] } => {
    const results: Promise<SandboxResult>[] = [];
    return {
      ...inner,
      results,
      run: (command: Parameters<Sandbox['run']>[0]) => {
        const r = inner.run(command);
        if (command.argv.includes('/work/build.sh')) results.push(r);
        return r;
      },
    };
  };
  /** The upload's tag object, read from its bundle as the verifier reads the tag it authenticated. */
  const tagObjectOf = (u: typeof gbp): TagObject => {
    const mirror = mkdtempSync(join(dir, 'tag-'));
    execFileSync('git', ['clone', '-q', '--mirror', bundleOf(u), mirror]);
    const oid = execFileSync('git', ['-C', mirror, 'rev-parse', `refs/tags/${u.tag}`])
      .toString()
      .trim();
    const raw = execFileSync('git', ['-C', mirror, 'cat-file', 'tag', oid]);
    rmSync(mirror, { recursive: true, force: true });
    return { oid, raw };
  };
  const inputsOf = (u: typeof gbp, s: Sandbox, timeoutMs = 300_000) => ({
    repo: bundleOf(u),
    existingOrigs: [],
    profile,
    sandbox: s,
    timeoutMs,
    tmpDir: dir,
    ...small,
  });

  for (const name of ['gbp', 'native'] as const) {
    it(`makes every file of the ${name} upload once adopted`, async () => {
      const u = uploadCase(name);
      const s = recorded(sandbox);
      const warm = warmBuild({ ...inputsOf(u, s), deborig: name === 'gbp' })!;
      expect(warm).toBeDefined();
      // The tag is authenticated meanwhile; dgit and git deborig compile.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const adopted = warm.adopt({ ...inputsOf(u, s), tag: u.tag, tagObject: tagObjectOf(u) });
      expect(adopted).toBeDefined();
      const r = await adopted!;
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      try {
        expect(s.results).toHaveLength(1);
        expect(r.facts).toMatchObject({ warm: true, dgitEarly: true, origs: name === 'gbp' ? 'deborig' : 'none' });
        if (name === 'gbp') expect(r.facts.deborigBeside).toBe(true);
        for (const f of u.dscFiles) expect(sha256Of(r.productsDir, f.name)).toBe(f.sha256);
        expect(readFileSync(join(r.productsDir, r.facts.dsc), 'utf8')).toBe(signedBody(readFileSync(dscOf(u), 'utf8')));
        // Its duration is the adopted build's, not the wait before it.
        expect(r.durationMs).toBeLessThan((await s.results[0]!).durationMs);
      } finally {
        await r.cleanup();
      }
    });
  }

  it('ends unused when released, having read nothing of the repository, and leaves no build directory', async () => {
    const before = readdirSync(dir).filter((n) => n.startsWith('t2u-reproduce-')).length;
    const s = recorded(sandbox);
    // A path that is no repository at all: the script would fail on it at once (exit 65) if it read it.
    const empty = mkdtempSync(join(dir, 'empty-'));
    chmodSync(empty, 0o755);
    const warm = warmBuild({ ...inputsOf(gbp, s), repo: empty, deborig: true })!;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await warm.release();
    const r = await s.results[0]!;
    // 69: end of input where the tag's items were awaited (take_items).
    expect(r.exitCode).toBe(69);
    expect(r.stderr.toString()).toBe('');
    expect(readdirSync(dir).filter((n) => n.startsWith('t2u-reproduce-'))).toHaveLength(before);
    // Released, it is adopted by nothing.
    expect(warm.adopt({ ...inputsOf(gbp, s), repo: empty, tag: gbp.tag, tagObject: tagObjectOf(gbp) })).toBeUndefined();
  });

  it('is not adopted for another build, and is released', async () => {
    const s = recorded(sandbox);
    const forky = profileByName('forky')!;
    const cases: [string, Partial<GitBuildInput>][] = [
      ['another profile', { profile: forky }],
      ['another time limit', { timeoutMs: 200_000 }],
      ['other origs', { existingOrigs: [join(dir, 'some.orig.tar.xz')] }],
      ['no tag object', { tagObject: undefined }],
    ];
    for (const [why, change] of cases) {
      const warm = warmBuild({ ...inputsOf(gbp, s), deborig: true })!;
      const build = { ...inputsOf(gbp, s), tag: gbp.tag, tagObject: tagObjectOf(gbp), ...change } as GitBuildInput;
      expect(warm.adopt(build), why).toBeUndefined();
      await warm.release();
      expect((await s.results.at(-1)!).exitCode, why).toBe(69);
    }
  });

  it('is not adopted once it has waited a tenth of its time limit', async () => {
    const s = recorded(sandbox);
    const warm = warmBuild({ ...inputsOf(gbp, s, 2_000), deborig: true })!;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(warm.adopt({ ...inputsOf(gbp, s, 2_000), tag: gbp.tag, tagObject: tagObjectOf(gbp) })).toBeUndefined();
    await warm.release();
    expect((await s.results[0]!).exitCode).toBe(69);
  });

  it('is not started for an upload of unknown or large size', () => {
    expect(warmBuild({ ...inputsOf(gbp, sandbox), inputBytes: 20 * 1024 ** 2, deborig: true })).toBeUndefined();
    expect(warmBuild({ ...inputsOf(gbp, sandbox), unpackedBytes: undefined, deborig: true })).toBeUndefined();
  });
});
