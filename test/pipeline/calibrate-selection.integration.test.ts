// Calibration's selection and reporting on the committed real tag2upload .dsc
// files (fixtures/dsc, from the sid Sources index): which entries are
// candidates and in what order, how settled uploads are counted, the exit
// status; and one offline run against a loopback mirror that serves only one
// of them (the others answer 404), rebuilt for real in the sandbox, and one
// upload dpkg-source -x refuses to unpack.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  calibrate,
  calibrationExitCode,
  entryBytes,
  orderCandidates,
  summarise,
  verdictTable,
  type CalibratedUpload,
  type CalibrateOptions,
  type CalibrationReport,
} from '../../src/pipeline/calibrate.js';
import { progressLine, render } from '../../src/cli/calibrate-action.js';
import { readDsc, parseGitTagInfo } from '../../src/deb822/dsc.js';
import type { SourcesEntry, SourcesIndex } from '../../src/upload/sources-index.js';
import { builderWork } from '../helpers/scratch-dir.js';
import { startMirrorServer, type MirrorServer } from '../upload/mirror-server.js';
import { tag2uploadKeyring } from '../upload/tag2upload-keyring.js';

const FIXTURES = new URL('../../fixtures/dsc/', import.meta.url).pathname;
const REPO = new URL('../..', import.meta.url).pathname;

/** Sources entries as dak writes them for these uploads: index.tsv's Directory and .dsc checksum, the .dsc's own file list and Git-Tag-Info. */
async function fixtureEntries(): Promise<SourcesEntry[]> {
  const rows = (await readFile(join(FIXTURES, 'index.tsv'), 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'));
  const out: SourcesEntry[] = [];
  for (const [source, version, directory, dscName, sha256, size] of rows) {
    const { dsc } = readDsc(new Uint8Array(await readFile(join(FIXTURES, dscName!))));
    const self = { name: dscName!, size: Number(size), hash: sha256! };
    out.push({
      source: source!,
      version: version!,
      directory: directory!,
      dsc: self,
      files: [self, ...dsc.files],
      gitTagInfo: parseGitTagInfo(dsc.paragraph.get('Git-Tag-Info')!),
    });
  }
  return out;
}

let entries: SourcesEntry[];
beforeAll(async () => {
  entries = await fixtureEntries();
});

describe('selection', () => {
  it('takes only entries with Git-Tag-Info', () => {
    const plain = { ...entries[0]!, source: 'not-t2u' } as SourcesEntry & { gitTagInfo?: unknown };
    delete plain.gitTagInfo;
    const got = orderCandidates([plain, ...entries], { kind: 'smallest' });
    expect(got.map((e) => e.source)).not.toContain('not-t2u');
    expect(got).toHaveLength(entries.length);
  });

  it('smallest first orders by the bytes of all files', () => {
    const sizes = orderCandidates(entries, { kind: 'smallest' }).map(entryBytes);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(sizes[0]).toBe(Math.min(...entries.map(entryBytes)));
  });

  it('a seed repeats its draw; another seed draws another order; every entry appears once', () => {
    const a = orderCandidates(entries, { kind: 'random', seed: 7 }).map((e) => e.source);
    expect(orderCandidates(entries, { kind: 'random', seed: 7 }).map((e) => e.source)).toEqual(a);
    expect(orderCandidates(entries, { kind: 'random', seed: 8 }).map((e) => e.source)).not.toEqual(a);
    expect([...a].sort()).toEqual(entries.map((e) => e.source).sort());
  });

  it('--max-size leaves out larger uploads', () => {
    const limit = entryBytes(entries.find((e) => e.source === 'mawk')!);
    const got = orderCandidates(entries, { kind: 'random', seed: 1 }, limit);
    expect(got.every((e) => entryBytes(e) <= limit)).toBe(true);
    expect(got.map((e) => e.source)).toContain('mawk');
    expect(got.length).toBeLessThan(entries.length);
  });
});

describe('reporting', () => {
  const u = (verdict: CalibratedUpload['verdict'], profile?: string): CalibratedUpload => ({
    source: 'p',
    version: '1',
    size: 1,
    verdict,
    ...(profile ? { profile } : {}),
    reasons: [],
    notes: [],
    attempts: [],
    durationMs: 0,
  });

  it('counts skipped uploads apart from the rate', () => {
    const s = summarise([u('skipped'), u('reproduced', 'trixie'), u('equivalent', 'forky'), u('reproduced', 'trixie'), u('skipped')]);
    expect(s).toMatchObject({
      tried: 5,
      notOnMirror: 2,
      downloadable: 3,
      reproduced: 2,
      equivalent: 1,
      mismatch: 0,
      unverifiable: 0,
      rate: 1,
    });
    expect(s.byProfile).toEqual({ trixie: 2, forky: 1 });
    expect(calibrationExitCode(s)).toBe(0);
  });

  it('tables downloadable uploads by verdict and reason code; times are the median and p90 of downloadable ones', () => {
    const r = (code: string) => ({ code, layer: 'bits', message: code }) as unknown as CalibratedUpload['reasons'][number];
    const list: CalibratedUpload[] = [
      { ...u('reproduced', 'trixie'), durationMs: 1000 },
      { ...u('reproduced', 'trixie'), durationMs: 3000 },
      { ...u('mismatch', 'trixie'), reasons: [r('RECONSTRUCTION_MISMATCH'), r('RECONSTRUCTION_MISMATCH')], durationMs: 2000 },
      { ...u('unverifiable'), reasons: [r('BUILD_FAILED')], durationMs: 10_000 },
      { ...u('skipped'), durationMs: 99_000 },
    ];
    expect(verdictTable(list)).toEqual([
      { verdict: 'reproduced', code: '-', count: 2 },
      { verdict: 'mismatch', code: 'RECONSTRUCTION_MISMATCH', count: 1 },
      { verdict: 'unverifiable', code: 'BUILD_FAILED', count: 1 },
    ]);
    expect(summarise(list).timePerUpload).toEqual({ medianMs: 2000, p90Ms: 10_000 });
    expect(progressLine({ ...list[2]!, suite: 'forky' }, { n: 3, total: 5 })).toBe(
      '[3/5] p 1 [forky]: mismatch (RECONSTRUCTION_MISMATCH), profile trixie, 2.0 s',
    );
    expect(progressLine(list[4]!, { n: 5, total: 5 })).toBe('[5/5] p 1: not on the mirror, 99.0 s');
  });

  it('a mismatch or an unverifiable upload makes exit 1; nothing obtained makes exit 3', () => {
    expect(calibrationExitCode(summarise([u('reproduced', 'trixie'), u('mismatch', 'trixie')]))).toBe(1);
    expect(calibrationExitCode(summarise([u('reproduced', 'trixie'), u('unverifiable')]))).toBe(1);
    const none = summarise([u('skipped'), u('skipped')]);
    expect(none.rate).toBeNull();
    expect(calibrationExitCode(none)).toBe(3);
  });
});

describe('against a mirror serving one upload of the index', () => {
  const work = builderWork('t2u-calibrate-test-');
  let mirror: MirrorServer;
  beforeAll(async () => {
    const pool = join(work.dir, 'mirror', 'pool/main/d/dh-ocaml');
    await mkdir(pool, { recursive: true });
    for (const f of await readdir(join(FIXTURES, 'upload'))) await copyFile(join(FIXTURES, 'upload', f), join(pool, f));
    mirror = await startMirrorServer(join(work.dir, 'mirror'));
  });
  afterAll(async () => {
    await mirror?.close();
  });
  /** Calibration of one upload against the loopback mirror, in these tests' sandbox and scratch directory; OVER names the rest. */
  const offline = (over: CalibrateOptions): Promise<CalibrationReport> =>
    calibrate({
      sample: 1,
      policy: { allowHttpLoopback: true },
      sandboxFor: () => Promise.resolve(work.sandbox),
      tmpDir: work.dir,
      ...over,
    });

  it('skips what is not served, rebuilds what is, names the profile', async () => {
    const index: SourcesIndex = { mirror: mirror.url, suite: 'sid', component: 'main', entries, skipped: [], warnings: [] };
    const keyring = (await tag2uploadKeyring('sid')).path;
    const r = await offline({
      index,
      selection: { kind: 'random', seed: 3 },
      uploadKeyring: keyring,
      buildTimeoutMs: 120_000,
    });
    const done = r.uploads.filter((x) => x.verdict !== 'skipped');
    expect(done.map((x) => x.source)).toEqual(['dh-ocaml']);
    expect(r.downloadable).toBe(1);
    expect(r.notOnMirror).toBe(r.tried - 1);
    expect(r.uploads.filter((x) => x.verdict === 'skipped').every((x) => x.reasons.every((c) => c.code === 'UPLOAD_NOT_FOUND'))).toBe(true);
    expect(done[0]!.reasons).toEqual([]);
    expect(done[0]!.verdict).toBe('reproduced');
    expect(done[0]!.profile).toBeTruthy();
    expect(done[0]!.signature?.ok).toBe(true);
    expect(calibrationExitCode(r)).toBe(0);
    expect(render(r)).toMatch(/REPRODUCED dh-ocaml 3\.8 .*profile /);
  }, 600_000);

  it('all: every entry of every suite asked, an upload two suites list taken once, each reported as it settles; three at once, listed in index order', async () => {
    const sid: SourcesIndex = { mirror: mirror.url, suite: 'sid', component: 'main', entries, skipped: [], warnings: [] };
    const forky: SourcesIndex = { ...sid, suite: 'forky', entries: entries.filter((e) => e.source === 'dh-ocaml' || e.source === 'mawk') };
    const seen: string[] = [];
    const r = await offline({
      indexes: [sid, forky],
      selection: { kind: 'all' },
      maxCandidates: 1,
      buildTimeoutMs: 120_000,
      concurrency: 3,
      onUpload: (x, at) => seen.push(progressLine(x, at)),
    });
    // In the index's order whichever settled first.
    expect(r.uploads.map((x) => x.source)).toEqual(entries.map((e) => e.source));
    // Neither --sample nor --max-candidates limits --all.
    expect(r.tried).toBe(entries.length);
    expect(r.suites).toEqual(['sid', 'forky']);
    expect(r.uploads.every((x) => x.suite === 'sid')).toBe(true);
    expect(seen).toHaveLength(entries.length);
    expect(seen.at(-1)).toMatch(new RegExp(`^\\[${entries.length}/${entries.length}\\] `));
    expect(seen.find((l) => l.includes('dh-ocaml'))).toMatch(/: reproduced, profile \S+, \d+\.\d s$/);
    expect(r.byVerdictAndReason).toEqual([{ verdict: 'reproduced', code: '-', count: 1 }]);
    expect(r.timePerUpload.medianMs).toBeGreaterThan(0);
    expect(render(r)).toMatch(/^reproduced +- +1$/m);
    expect(render(r)).toMatch(/time per upload: median \d+\.\d s, p90 \d+\.\d s; load average/);
  }, 600_000);

  it('an upload dpkg-source -x refuses (a debian/ symlink out of the tree) is unverifiable with UPLOAD_UNPACK_REFUSED, as verify says', async () => {
    const u = join(REPO, 'fixtures/uploads/symlink-outside');
    const pool = join(work.dir, 'mirror', 'pool/main/t/t2u-symlink');
    await mkdir(pool, { recursive: true });
    for (const f of await readdir(u)) await copyFile(join(u, f), join(pool, f));
    const dscBytes = await readFile(join(u, 't2u-symlink_1.0-1.dsc'));
    const { dsc } = readDsc(new Uint8Array(dscBytes));
    const self = { name: 't2u-symlink_1.0-1.dsc', size: dscBytes.length, hash: createHash('sha256').update(dscBytes).digest('hex') };
    const entry: SourcesEntry = {
      source: dsc.source,
      version: dsc.version,
      directory: 'pool/main/t/t2u-symlink',
      dsc: self,
      files: [self, ...dsc.files],
      gitTagInfo: dsc.gitTagInfo!,
    };
    const index: SourcesIndex = { mirror: mirror.url, suite: 'sid', component: 'main', entries: [entry], skipped: [], warnings: [] };
    const r = await offline({
      index,
      selection: { kind: 'smallest' },
    });
    expect(r.uploads[0]!.verdict).toBe('unverifiable');
    expect(r.uploads[0]!.reasons.map((x) => x.code)).toEqual(['UPLOAD_UNPACK_REFUSED']);
    expect(r.uploads[0]!.reasons[0]!.message).toMatch(/^dpkg-source -x refuses the upload: .*points outside source root/);
    expect(calibrationExitCode(r)).toBe(1);
  }, 120_000);

  it('a file of the upload that does not match the .dsc is unverifiable, not skipped', async () => {
    const orig = await readFile(join(FIXTURES, 'upload', 'dh-ocaml_3.8.tar.xz'));
    const tarball = join(work.dir, 'mirror', 'pool/main/d/dh-ocaml', 'dh-ocaml_3.8.tar.xz');
    await writeFile(tarball, Buffer.concat([orig.subarray(0, orig.length - 1), Buffer.from([orig[orig.length - 1]! ^ 1])]));
    try {
      const index: SourcesIndex = {
        mirror: mirror.url,
        suite: 'sid',
        component: 'main',
        entries: entries.filter((e) => e.source === 'dh-ocaml'),
        skipped: [],
        warnings: [],
      };
      const r = await offline({
        index,
        selection: { kind: 'smallest' },
      });
      expect(r.uploads[0]!.verdict).toBe('unverifiable');
      expect(r.uploads[0]!.reasons.map((x) => x.code)).toEqual(['UPLOAD_CHECKSUM_MISMATCH']);
      expect(calibrationExitCode(r)).toBe(1);
    } finally {
      await writeFile(tarball, orig);
    }
  }, 120_000);
});
