// verify end to end on the uploads of the reference builder (fixtures/uploads:
// real git-debpush tags, real dgit builder-mode uploads signed by a test
// service key, and tampered copies re-signed by it): every honest case is
// reproduced (equivalent for linear), every tampered one fails with its
// specific code, through a loopback smart-HTTP git server (the shallow fetch)
// and from a local repository; the upload from a path, a .dsc URL and a
// loopback mirror whose InRelease is signed by a test archive key; and the
// undecidable cases are unverifiable.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadTrust } from '../../src/pipeline/trust.js';
import { FIXTURE_KEYRINGS, loadFixtureTrust, type FixtureTrust } from '../helpers/fixture-keyrings.js';
import { scratchDir } from '../helpers/scratch-dir.js';
import { verify, type VerifyDeps, type VerifyUpload } from '../../src/pipeline/verify.js';
import { runSecondToolchain } from '../../src/reconstruct/second-toolchain/second-toolchain.js';
import { PROFILES } from '../../src/sandbox/builder-profiles.js';
import { builderSandboxFor } from '../helpers/builder-rootfs.js';
import type { Sandbox, SandboxResult } from '../../src/sandbox/index.js';
import { descendantsRunning } from '../helpers/descendants.js';
import type { ReasonCode } from '../../src/report/reasons.js';
import type { VerifyReport } from '../../src/report/report.js';
import { Gpg } from '../authenticate/gpg-harness.js';
import { publishSuite, sourcesStanza, writeTreeFile } from '../helpers/debian-mirror.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { forSteps, TEST_BUILD_MS, verifySteps } from '../helpers/work-limits.js';
import { MANIFEST, REPO_ROOT, SERVICE_KEYRING, bundleOf, dscOf, type UploadCase } from '../reconstruct/upload-fixtures.js';
import { startMirrorServer, type MirrorServer } from '../upload/mirror-server.js';

// Each test runs at most one verify, under every profile at worst.
vi.setConfig({ testTimeout: forSteps(verifySteps(PROFILES.length)) });

const work = scratchDir('t2u-verify-test-');
let gitServer: GitHttpServer;
let mirror: MirrorServer;
let mirrorTree: string;
let archive: Gpg;
let archiveRing: string;
let fixture: FixtureTrust;

/** One bare repository per fixture bundle, named after the case. */
const repoName = (u: UploadCase): string => `${u.case}.git`;

beforeAll(async () => {
  const repos = join(work.dir, 'repos');
  mkdirSync(repos);
  for (const u of MANIFEST.uploads) execFileSync('git', ['clone', '-q', '--mirror', bundleOf(u), join(repos, repoName(u))]);
  gitServer = await startGitHttpServer({ root: repos });

  // A mirror with the gbp upload in its pool, and one suite signed by the test archive key.
  mirrorTree = join(work.dir, 'mirror');
  archive = Gpg.create();
  archive.must(['--quick-gen-key', 'Test Archive <archive@t2u.test>', 'ed25519', 'sign', 'never']);
  archiveRing = join(work.dir, 'archive.gpg');
  writeFileSync(archiveRing, archive.must(['--export']));
  const gbp = MANIFEST.uploads.find((u) => u.case === 'gbp')!;
  const pool = 'pool/main/t/t2u-gbp';
  for (const f of [gbp.dsc, ...gbp.dscFiles.map((x) => x.name)])
    writeTreeFile(mirrorTree, `${pool}/${f}`, readFileSync(join(REPO_ROOT, gbp.dir, f)));
  publishSuite(mirrorTree, 'sid', [sourcesStanza(readFileSync(dscOf(gbp)), pool, gbp.dsc)], {
    signer: archive,
    uid: 'Test Archive <archive@t2u.test>',
  });
  mirror = await startMirrorServer(mirrorTree);

  fixture = await loadFixtureTrust({
    fetch: { timeoutMs: 60_000, maxPackBytes: 64 << 20, maxObjectBytes: 64 << 20, maxRefsBytes: 1 << 20, allowHttpLoopback: true },
  });
});

afterAll(async () => {
  await gitServer?.close();
  await mirror?.close();
  archive?.close();
});

function deps(extra: Partial<VerifyDeps> = {}): VerifyDeps {
  return {
    ...fixture.deps,
    uploadKeyring: SERVICE_KEYRING,
    obtain: { policy: { allowHttpLoopback: true }, indexOptions: { archiveKeyring: archiveRing } },
    buildTimeoutMs: TEST_BUILD_MS,
    ...extra,
  };
}

const remote = (u: UploadCase): string => `${gitServer.url}/${repoName(u)}`;
const local = (u: UploadCase): string => join(work.dir, 'repos', repoName(u));
const atPath = (u: UploadCase): VerifyUpload => ({ kind: 'dsc-path', path: dscOf(u) });

function codes(r: VerifyReport): string[] {
  return r.reasons.map((x) => x.code);
}

/** Real sandboxes that record each build script's run: whether it was started warm (before the tag was authenticated), and its result. */
function buildsRecorded(): {
  sandboxFor: NonNullable<VerifyDeps['sandboxFor']>;
  builds: { warm: boolean; result: Promise<SandboxResult> }[];
} {
  const builds: { warm: boolean; result: Promise<SandboxResult> }[] = [];
  const sandboxFor = async (name: string): Promise<Sandbox> => {
    const inner = await builderSandboxFor(name);
    return {
      ...inner,
      run: (command) => {
        const result = inner.run(command);
        if (command.argv.includes('/work/build.sh')) builds.push({ warm: command.env?.['T2U_WARM'] === '1', result });
        return result;
      },
    };
  };
  return { sandboxFor, builds };
}

/**
 * The dependencies of a verification whose builds are recorded
 * (buildsRecorded), its progress lines kept, and its temporary files in a
 * directory of their own (reachable by the sandbox uid, as the verifier's
 * own temporary directory is), to be found empty afterwards.
 */
async function watchedRun(
  prefix: string,
): Promise<ReturnType<typeof buildsRecorded> & { tmpDir: string; lines: string[]; deps: VerifyDeps }> {
  const tmpDir = await mkdtemp(join(work.dir, prefix));
  chmodSync(tmpDir, 0o755);
  const lines: string[] = [];
  const recorded = buildsRecorded();
  return { ...recorded, tmpDir, lines, deps: deps({ tmpDir, sandboxFor: recorded.sandboxFor, progress: (l) => lines.push(l) }) };
}

function describeReport(r: VerifyReport): string {
  return `${r.verdict}: ${[...r.reasons.map((x) => `${x.code} ${x.message}`), ...r.notes.map((x) => `note ${x.code}`)].join('; ')}`;
}

/** The code each kind of tampering must raise (fixtures/uploads/manifest.json `expect.differs.what`). */
const TAMPER_CODES: Record<string, ReasonCode[]> = {
  'tamper-debian-tar': ['CONTENT_MISMATCH', 'RECONSTRUCTION_MISMATCH'],
  'tamper-orig-byte': ['ORIG_CONTENT_MISMATCH', 'RECONSTRUCTION_MISMATCH'],
  'tamper-dsc-build-depends': ['DSC_FIELD_MISMATCH'],
  'tamper-tag-info-object': ['TAG_OBJECT_MISMATCH'],
  'tamper-tag-info-fp': ['TAG_SIGNER_MISMATCH'],
  'foreign-signed': ['KEY_UNKNOWN'],
  'tamper-component-orig': ['ORIG_TREE_MISMATCH'],
  'tamper-upstream-signature': ['UPSTREAM_SIGNATURE_INVALID'],
  'tamper-upstream-orig': ['ORIG_TREE_MISMATCH'],
  'tamper-future-content': ['CONTENT_MISMATCH'],
};

describe('verify on the reference builder uploads, over loopback smart HTTP', () => {
  const honest = MANIFEST.uploads.filter((u) => u.kind === 'honest');
  const tampered = MANIFEST.uploads.filter((u) => u.kind === 'tampered');

  it('every tampered case has its expected codes listed here', () => {
    expect(tampered.map((u) => u.case).sort()).toEqual(Object.keys(TAMPER_CODES).sort());
  });

  it.each(honest.filter((u) => u.case !== 'symlink-outside').map((u) => [u.case, u] as const))(
    'honest %s is reproduced, every layer passing',
    async (_c, u) => {
      const r = await verify({ repo: remote(u), tag: u.tag, upload: atPath(u) }, deps());
      // linear: dgit's quilt fixup commit carries the builder's identity and clock (DGIT_VIEW_NOT_REPRODUCIBLE).
      expect(r.verdict, describeReport(r)).toBe(u.quiltMode === 'linear' ? 'equivalent' : u.expect.verdict);
      for (const code of [...(u.expect.explained ?? []), ...(u.expect.notes ?? [])]) expect(r.notes.map((n) => n.code)).toContain(code);
      expect(r.reasons).toEqual([]);
      for (const layer of Object.values(r.layers)) expect(layer.status).toBe('pass');
      expect(r.content?.differences).toEqual([]);
      expect(r.upload?.signer).toBe(MANIFEST.serviceKey.fingerprint.toLowerCase());
      expect(r.tag.object).toBe(u.tagObject);
      const toolchains = Object.fromEntries(r.reconstruction!.toolchains.map((t) => [t.name, t.status]));
      expect(toolchains.dgit).toBe('agrees');
      // The TypeScript toolchain covers the modes whose patches come from the tree.
      expect(toolchains.typescript, JSON.stringify(r.reconstruction!.toolchains)).toBe(u.quiltMode === 'linear' ? 'not-run' : 'agrees');
    },
  );

  it('honest symlink-outside, which dpkg-source -x refuses: the bits layer reproduced it, so reproduced, the refusal a note', async () => {
    const u = MANIFEST.uploads.find((x) => x.case === 'symlink-outside')!;
    const r = await verify({ repo: remote(u), tag: u.tag, upload: atPath(u) }, deps());
    expect(r.verdict, describeReport(r)).toBe('reproduced');
    expect(r.reasons).toEqual([]);
    const note = r.notes.find((n) => n.code === 'UPLOAD_UNPACK_REFUSED');
    expect(note?.message).toMatch(/points outside source root.*the rebuild from the tag gave every file of the upload byte for byte/);
    expect(r.layers.content.status).toBe('skipped');
    expect(r.layers.content.detail).toMatch(/dpkg-source -x refuses the upload/);
    for (const layer of ['binding', 'bits'] as const) expect(r.layers[layer].status).toBe('pass');
  });

  it.each(tampered.map((u) => [u.case, u] as const))('tampered %s is a mismatch with its code', async (_c, u) => {
    const r = await verify({ repo: remote(u), tag: u.tag, upload: atPath(u) }, deps());
    expect(r.verdict, describeReport(r)).toBe('mismatch');
    for (const code of TAMPER_CODES[u.case]!) expect(codes(r), describeReport(r)).toContain(code);
    const failing = Object.entries(r.layers)
      .filter(([, l]) => l.status === 'fail')
      .map(([k]) => k);
    const layer = { content: 'content', bits: 'bits', binding: 'binding', signature: 'binding' }[u.expect.differs!.what];
    expect(failing, describeReport(r)).toContain(layer);
    // A decided mismatch is not rebuilt under every profile: those not tried
    // are named, with why (unless the first build reproduced: a foreign signature).
    const rec = r.reconstruction!;
    expect(rec.attempts.length, JSON.stringify(rec.attempts)).toBeLessThan(PROFILES.length);
    if (!['reproduced', 'equivalent'].includes(rec.attempts.at(-1)!.outcome)) {
      expect(rec.attempts.length + (rec.skipped?.length ?? 0), JSON.stringify(rec.skipped)).toBe(PROFILES.length);
    }
    if (u.expect.differs!.file) {
      // Named by the content layer (a path), the bits layer (a file), or the reason (an orig dgit refused, a signature).
      const named = [
        ...(r.content?.differences ?? []).map((d) => d.path),
        ...r.reconstruction!.files.filter((f) => !f.match).map((f) => f.name),
        ...r.reasons.map((x) => x.message),
      ];
      expect(
        named.some((n) => n.includes(u.expect.differs!.file!) || u.expect.differs!.file!.includes(n)),
        `${named.join(', ')} vs ${u.expect.differs!.file}`,
      ).toBe(true);
    }
  });
});

describe('verify from a local repository, and the upload from each kind of source', () => {
  const gbp = MANIFEST.uploads.find((u) => u.case === 'gbp')!;

  it('a local repository read in place', async () => {
    const r = await verify({ repo: local(gbp), tag: gbp.tag, upload: atPath(gbp) }, deps());
    expect(r.verdict, describeReport(r)).toBe('reproduced');
  });

  it('a .dsc URL on a loopback mirror', async () => {
    const r = await verify(
      { repo: local(gbp), tag: gbp.tag, upload: { kind: 'dsc-url', url: `${mirror.url}/pool/main/t/t2u-gbp/${gbp.dsc}` } },
      deps(),
    );
    expect(r.verdict, describeReport(r)).toBe('reproduced');
    expect(r.upload?.origin).toBe(`${mirror.url}/pool/main/t/t2u-gbp/${gbp.dsc}`);
  });

  it('the archive entry found in a mirror whose InRelease verifies', async () => {
    const r = await verify({ repo: remote(gbp), tag: gbp.tag, upload: { kind: 'mirror', mirror: mirror.url, suite: 'sid' } }, deps());
    expect(r.verdict, describeReport(r)).toBe('reproduced');
  });

  it('a mirror whose InRelease is signed by another key is unverifiable, nothing built', async () => {
    const r = await verify(
      { repo: remote(gbp), tag: gbp.tag, upload: { kind: 'mirror', mirror: mirror.url, suite: 'sid' } },
      deps({
        obtain: { policy: { allowHttpLoopback: true }, indexOptions: { archiveKeyring: FIXTURE_KEYRINGS.uploaders } },
      }),
    );
    expect(r.verdict, describeReport(r)).toBe('unverifiable');
    expect(codes(r)).toContain('UPLOAD_INDEX_UNVERIFIED');
    expect(r.layers.bits.status).toBe('skipped');
    expect(r.timings.bitsMs).toBeUndefined();
  });
});

/**
 * A dgit-repos for t2u-native holding archive/debian/2.0 as dgit's
 * pseudomerge_hash_commit writes it (tree and first parent the dgit view,
 * here the tag's commit, second parent archive history, dgit's message),
 * and the native upload with its Dgit field naming that commit, re-signed
 * with the test service key as the service would sign it.
 */
describe('verify: the Dgit field over archive history (pseudo-merge)', () => {
  const native = MANIFEST.uploads.find((u) => u.case === 'native')!;
  let dgitRoot: string;
  let dgitServer: GitHttpServer;
  let service: Gpg;

  const inRepo = (...args: string[]): string =>
    execFileSync('git', ['-C', join(dgitRoot, native.source), ...args], {
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'T2U Test',
        GIT_AUTHOR_EMAIL: 't@t2u.test',
        GIT_COMMITTER_NAME: 'T2U Test',
        GIT_COMMITTER_EMAIL: 't@t2u.test',
        GIT_AUTHOR_DATE: '2024-03-01T00:00:00Z',
        GIT_COMMITTER_DATE: '2024-03-01T00:00:00Z',
      },
    })
      .toString()
      .trim();

  /** An upload whose Dgit field names `commit`, in its own directory, signed by the service key. */
  function uploadNaming(commit: string, name: string): VerifyUpload {
    const dir = mkdtempSync(join(work.dir, `${name}-`));
    chmodSync(dir, 0o755);
    for (const f of native.dscFiles) copyFileSync(join(REPO_ROOT, native.dir, f.name), join(dir, f.name));
    const body = service
      .must(['--decrypt'], { input: readFileSync(dscOf(native)) })
      .toString('utf8')
      .replace(/^Dgit: \S+ /m, `Dgit: ${commit} `);
    writeFileSync(
      join(dir, native.dsc),
      service.must(['--clearsign', '--digest-algo', 'SHA512', '-u', MANIFEST.serviceKey.fingerprint], {
        input: body,
        at: '20240301T003000',
      }),
    );
    return { kind: 'dsc-path', path: join(dir, native.dsc) };
  }

  /** archive/debian/2.0 on a commit made with `tree` and `parents`, and the message given. */
  function archiveTag(tree: string, parents: string[], message: string): string {
    const commit = inRepo('commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message);
    inRepo('tag', '-f', '-a', '-m', 'dgit-repos', 'archive/debian/2.0', commit);
    return commit;
  }

  beforeAll(async () => {
    dgitRoot = join(work.dir, 'dgit-repos');
    mkdirSync(dgitRoot);
    execFileSync('git', ['clone', '-q', '--mirror', bundleOf(native), join(dgitRoot, native.source)]);
    dgitServer = await startGitHttpServer({ root: dgitRoot });
    service = Gpg.create();
    service.importFile(join(REPO_ROOT, 'fixtures', 'uploads', 'service-key', 'service.sec.asc'));
  });

  afterAll(async () => {
    await dgitServer?.close();
    service?.close();
  });

  it('a pseudo-merge of the rebuilt dgit view with archive history is equivalent (DGIT_VIEW_PSEUDOMERGE)', async () => {
    const view = inRepo('rev-parse', `${native.tag}^{commit}`);
    const history = inRepo('commit-tree', inRepo('mktree'), '-m', 'archive 1.0');
    const merge = archiveTag(inRepo('rev-parse', `${view}^{tree}`), [view, history], 'Make fast forward from 1.0\n\n[dgit --quilt=linear]');
    const r = await verify(
      { repo: remote(native), tag: native.tag, upload: uploadNaming(merge, 'merge') },
      deps({ dgitReposUrl: dgitServer.url }),
    );
    expect(r.verdict, describeReport(r)).toBe('equivalent');
    expect(r.notes.map((n) => n.code)).toContain('DGIT_VIEW_PSEUDOMERGE');
    expect(r.layers.bits.status).toBe('pass');
  });

  it('a "pseudo-merge" whose tree is not the dgit view\'s is a mismatch (DGIT_VIEW_MISMATCH)', async () => {
    const view = inRepo('rev-parse', `${native.tag}^{commit}`);
    const empty = inRepo('mktree');
    const history = inRepo('commit-tree', empty, '-m', 'archive 1.0');
    const forged = archiveTag(empty, [view, history], 'Make fast forward from 1.0\n\n[dgit --quilt=linear]');
    const r = await verify(
      { repo: remote(native), tag: native.tag, upload: uploadNaming(forged, 'forged') },
      deps({ dgitReposUrl: dgitServer.url }),
    );
    expect(r.verdict, describeReport(r)).toBe('mismatch');
    expect(codes(r)).toContain('DGIT_VIEW_MISMATCH');
  });

  it('a Dgit commit dgit-repos cannot show is unverifiable (DGIT_VIEW_UNCHECKED), not a pass', async () => {
    const r = await verify(
      { repo: remote(native), tag: native.tag, upload: uploadNaming('1'.repeat(40), 'unknown') },
      deps({ dgitReposUrl: `${dgitServer.url}/nowhere` }),
    );
    expect(r.verdict, describeReport(r)).toBe('unverifiable');
    expect(codes(r)).toEqual(['DGIT_VIEW_UNCHECKED']);
  });
});

describe('verify: the content check beside the build, or before it', () => {
  const gbp = MANIFEST.uploads.find((u) => u.case === 'gbp')!;
  /** How long the content check's script is held back, waiting for the build's to start. */
  const HOLD_MS = 8_000;

  /**
   * Real sandboxes that note when the content check's script (content.sh)
   * and the first build's (build.sh) run, and hold the content check's back
   * until the build's has started (at most HOLD_MS): run at once, the two
   * then overlap whatever the machine's speed; one after the other, the
   * build's cannot start while the content check's waits.
   */
  function watched(): {
    sandboxFor: NonNullable<VerifyDeps['sandboxFor']>;
    spans: Map<string, { start: number; end?: number }>;
    readers: () => number;
  } {
    const spans = new Map<string, { start: number; end?: number }>();
    // The repository's object readers (git cat-file) alive as the build's script starts.
    let readersAtBuild = -1;
    let buildStarted = (): void => {};
    const buildStart = new Promise<void>((resolve) => (buildStarted = resolve));
    const sandboxFor = async (name: string): Promise<Sandbox> => {
      const inner = await builderSandboxFor(name);
      return {
        ...inner,
        run: async (command) => {
          const script = ['/work/content.sh', '/work/build.sh'].find((s) => command.argv.includes(s));
          if (script === undefined || spans.has(script)) return inner.run(command);
          const span: { start: number; end?: number } = { start: performance.now() };
          spans.set(script, span);
          if (script === '/work/build.sh') {
            readersAtBuild = descendantsRunning('git cat-file --batch');
            buildStarted();
          } else await Promise.race([buildStart, new Promise((resolve) => setTimeout(resolve, HOLD_MS))]);
          try {
            return await inner.run(command);
          } finally {
            span.end = performance.now();
          }
        },
      };
    };
    return { sandboxFor, spans, readers: () => readersAtBuild };
  }

  it('a large upload is compared before it is built: the content check has ended before the build starts', async () => {
    const { sandboxFor, spans, readers } = watched();
    const lines: string[] = [];
    // Every upload counts as large here (the bound 0): the fixture stays small.
    const r = await verify(
      { repo: local(gbp), tag: gbp.tag, upload: atPath(gbp) },
      deps({ sandboxFor, smallUploadBelowBytes: 0, progress: (l) => lines.push(l) }),
    );
    expect(r.verdict, describeReport(r)).toBe('reproduced');
    const content = spans.get('/work/content.sh')!;
    const build = spans.get('/work/build.sh')!;
    expect(content.end).toBeDefined();
    expect(build.start).toBeGreaterThanOrEqual(content.end!);
    // No object reader waits through the build; the second toolchain started another (it agrees).
    expect(readers()).toBe(0);
    expect(lines).toContain(
      "comparing the upload's content with the tag's tree, then rebuilding the tag (a large upload: one after the other)",
    );
    expect(r.reconstruction!.toolchains.map((t) => `${t.name}:${t.status}`)).toEqual(['dgit:agrees', 'typescript:agrees']);
  });

  it('a tampered upload has the same findings in either order: the content mismatch still stops the bits layer after its first build', async () => {
    const u = MANIFEST.uploads.find((x) => x.case === 'tamper-debian-tar')!;
    const findings = (r: VerifyReport): unknown => ({
      verdict: r.verdict,
      codes: codes(r),
      notes: r.notes.map((n) => n.code),
      layers: Object.fromEntries(Object.entries(r.layers).map(([k, l]) => [k, l.status])),
      content: r.content?.differences,
      attempts: r.reconstruction?.attempts.map((a) => `${a.profile}:${a.outcome}`),
      skipped: r.reconstruction?.skipped,
      toolchains: r.reconstruction?.toolchains.map((t) => `${t.name}:${t.status}`),
    });
    const small = await verify({ repo: local(u), tag: u.tag, upload: atPath(u) }, deps());
    const large = await verify({ repo: local(u), tag: u.tag, upload: atPath(u) }, deps({ smallUploadBelowBytes: 0 }));
    expect(large.verdict, describeReport(large)).toBe('mismatch');
    expect(large.reconstruction!.attempts).toHaveLength(1);
    expect(findings(large)).toEqual(findings(small));
  });

  it("a small upload's first build starts while the tag is checked, and is the build that reproduces it", async () => {
    const { sandboxFor, builds } = buildsRecorded();
    const r = await verify({ repo: local(gbp), tag: gbp.tag, upload: atPath(gbp) }, deps({ sandboxFor }));
    expect(r.verdict, describeReport(r)).toBe('reproduced');
    expect(builds.map((b) => b.warm)).toEqual([true]);
    expect((await builds[0]!.result).exitCode).toBe(0);
  });

  it('a large upload starts no build before its content check', async () => {
    const { sandboxFor, builds } = buildsRecorded();
    const r = await verify({ repo: local(gbp), tag: gbp.tag, upload: atPath(gbp) }, deps({ sandboxFor, smallUploadBelowBytes: 0 }));
    expect(r.verdict, describeReport(r)).toBe('reproduced');
    expect(builds.map((b) => b.warm)).toEqual([false]);
  });

  it('a small upload is compared while it is built', async () => {
    const { sandboxFor, spans } = watched();
    const r = await verify({ repo: local(gbp), tag: gbp.tag, upload: atPath(gbp) }, deps({ sandboxFor }));
    expect(r.verdict, describeReport(r)).toBe('reproduced');
    const content = spans.get('/work/content.sh')!;
    const build = spans.get('/work/build.sh')!;
    expect(build.start).toBeLessThan(content.end!);
    expect(content.start).toBeLessThan(build.end!);
  });

  it('a small upload’s content check is asked for once the build is running, not before, and runs nicer than it', async () => {
    // The order in which the two scripts are handed to the sandbox, and whether the build's had started by then.
    const order: string[] = [];
    let buildSpawned = false;
    const sandboxFor = async (name: string): Promise<Sandbox> => {
      const inner = await builderSandboxFor(name);
      return {
        ...inner,
        run: (command) => {
          const script = ['/work/content.sh', '/work/build.sh'].find((s) => command.argv.includes(s));
          if (script === '/work/content.sh') order.push(`content (build running: ${buildSpawned}, nice ${command.nice})`);
          if (script !== '/work/build.sh') return inner.run(command);
          order.push(`build (nice ${command.nice})`);
          return inner.run({
            ...command,
            onSpawn: () => {
              buildSpawned = true;
              command.onSpawn?.();
            },
          });
        },
      };
    };
    const r = await verify({ repo: local(gbp), tag: gbp.tag, upload: atPath(gbp) }, deps({ sandboxFor }));
    expect(r.verdict, describeReport(r)).toBe('reproduced');
    // The content check runs beside the build at a lower priority (besideTheBuild), the build at ours.
    expect(order).toEqual(['build (nice undefined)', 'content (build running: true, nice 10)']);
  });
});

describe('verify: binding failures and undecidable cases', () => {
  const gbp = MANIFEST.uploads.find((u) => u.case === 'gbp')!;
  const other = MANIFEST.uploads.find((u) => u.source !== gbp.source && u.kind === 'honest')!;

  it('an upload of another package or version is a mismatch (UPLOAD_NOT_FOR_TAG)', async () => {
    const r = await verify({ repo: local(gbp), tag: gbp.tag, upload: atPath(other) }, deps());
    expect(r.verdict, describeReport(r)).toBe('mismatch');
    expect(codes(r)).toContain('UPLOAD_NOT_FOR_TAG');
    expect(codes(r)).toContain('TAG_OBJECT_MISMATCH');
  });

  it('a .dsc without Git-Tag-Info, with another tagger and a Dgit field naming another version and repository is a mismatch', async () => {
    const dir = mkdtempSync(join(work.dir, 'edited-'));
    chmodSync(dir, 0o755);
    for (const f of gbp.dscFiles) copyFileSync(join(REPO_ROOT, gbp.dir, f.name), join(dir, f.name));
    const text = readFileSync(dscOf(gbp), 'utf8')
      .replace(/^Dgit: (\S+) .*$/m, 'Dgit: $1 debian archive/debian/9.9 https://evil.example/t2u-gbp')
      .replace(/^Git-Tag-Info: .*\n/m, '')
      .replace(/^Git-Tag-Tagger: .*$/m, 'Git-Tag-Tagger: Mallory <mallory@t2u.test>');
    writeFileSync(join(dir, gbp.dsc), text);
    const r = await verify({ repo: local(gbp), tag: gbp.tag, upload: { kind: 'dsc-path', path: join(dir, gbp.dsc) } }, deps());
    expect(r.verdict, describeReport(r)).toBe('mismatch');
    expect(codes(r)).toEqual(
      expect.arrayContaining(['GIT_TAG_INFO_MISSING', 'TAG_TAGGER_MISMATCH', 'DGIT_FIELD_MISMATCH', 'SIGNATURE_INVALID']),
    );
  });

  it('without an upload keyring the binding cannot pass: unverifiable, never reproduced', async () => {
    const r = await verify({ repo: local(gbp), tag: gbp.tag, upload: atPath(gbp) }, { ...deps(), uploadKeyring: undefined });
    expect(r.verdict, describeReport(r)).toBe('unverifiable');
    expect(codes(r)).toEqual(['KEYRING_UNAVAILABLE']);
  });

  it('the configured signature policy judges the .dsc signature too (WEAK_KEY for a service key below minRsaBits)', async () => {
    // The tag is signed by an Ed25519 subkey, which minRsaBits leaves alone; the service key is RSA 3072.
    const unapplied = MANIFEST.uploads.find((u) => u.case === 'unapplied')!;
    const r = await verify(
      { repo: local(unapplied), tag: unapplied.tag, upload: atPath(unapplied) },
      deps({ policy: { ...fixture.trust.policy, minRsaBits: 4096 } }),
    );
    expect(r.layers.authenticity.status).toBe('pass');
    expect(r.verdict, describeReport(r)).toBe('mismatch');
    expect(codes(r)).toContain('WEAK_KEY');
    expect(r.reasons.find((x) => x.code === 'WEAK_KEY')?.message).toContain('RSA 3072 bits');
  });

  it('a tag the keyrings do not authenticate is rejected, nothing is built, and the upload obtained meanwhile is not used and is removed', async () => {
    const { tmpDir, lines, builds, deps: watched } = await watchedRun('rejected-');
    const r = await verify(
      { repo: local(gbp), tag: gbp.tag, upload: atPath(gbp) },
      {
        ...watched,
        keyrings: (await loadTrust({ ...fixture.config, keyrings: [{ path: FIXTURE_KEYRINGS.dm, role: 'dm' }] })).keyrings,
      },
    );
    expect(r.verdict, describeReport(r)).toBe('rejected');
    expect(r.layers.binding).toEqual({ status: 'skipped', detail: 'the tag was not authenticated' });
    expect(r.upload).toBeUndefined();
    expect(r.timings.obtainMs).toBeUndefined();
    // A .dsc path does not depend on the tag: it was obtained while the tag was checked, and is gone.
    expect(lines.some((l) => l.startsWith('obtaining the upload from '))).toBe(true);
    expect(lines.some((l) => l.startsWith('building'))).toBe(false);
    // The build started while the tag was checked (the upload is small) ended where it waited for the tag's items (69), having read nothing.
    expect(builds.map((b) => b.warm)).toEqual([true]);
    expect((await builds[0]!.result).exitCode).toBe(69);
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('a tag the repository does not have: a local .dsc obtained from the start is removed, and no build starts', async () => {
    const { tmpDir, lines, builds, deps: watched } = await watchedRun('no-tag-');
    const r = await verify({ repo: local(gbp), tag: `${gbp.tag}-typo`, upload: atPath(gbp) }, watched);
    expect(codes(r)).toEqual(['TAG_NOT_FOUND']);
    expect(r.upload).toBeUndefined();
    // Obtained while the tag was looked for (a local .dsc does not wait for it), then removed unused.
    expect(lines.some((l) => l.startsWith('obtaining the upload from '))).toBe(true);
    expect(builds).toEqual([]);
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('a second toolchain that disagrees with dgit (here: run under the wrong umask) makes the verdict unverifiable', async () => {
    const wrongUmask: VerifyDeps['secondToolchain'] = (i) => runSecondToolchain({ ...i, umask: i.umask === '0022' ? '0002' : '0022' });
    const r = await verify({ repo: local(gbp), tag: gbp.tag, upload: atPath(gbp) }, deps({ secondToolchain: wrongUmask }));
    expect(r.verdict, describeReport(r)).toBe('unverifiable');
    expect(codes(r)).toEqual(['TOOLCHAINS_DISAGREE']);
    expect(r.reconstruction!.toolchains.map((t) => `${t.name}:${t.status}`)).toEqual(['dgit:agrees', 'typescript:differs']);
  });

  it("the second toolchain, started beside dgit's first build, is run again under the profile that reproduced when that is another", async () => {
    // dgit builds under the wrong umask first (it differs), then reproduces under the right one.
    const order = ['trixie-umask002', 'trixie'].map((n) => PROFILES.find((p) => p.name === n)!);
    const umasks: string[] = [];
    const watched: VerifyDeps['secondToolchain'] = (i) => {
      umasks.push(i.umask);
      return runSecondToolchain(i);
    };
    const r = await verify({ repo: local(gbp), tag: gbp.tag, upload: atPath(gbp) }, deps({ profiles: order, secondToolchain: watched }));
    expect(r.verdict, describeReport(r)).toBe('reproduced');
    expect(r.reconstruction!.attempts.map((a) => `${a.profile}:${a.outcome}`)).toEqual(['trixie-umask002:differs', 'trixie:reproduced']);
    expect(r.reconstruction!.toolchains.map((t) => `${t.name}:${t.status}`)).toEqual(['dgit:agrees', 'typescript:agrees']);
    // The early run under 0002 (the upload is small), then the one under the profile that reproduced.
    expect(umasks).toEqual(['0002', '0022']);
  });

  it('a verification stopped while it builds kills its sandboxes, starts no further profile and is unverifiable (VERIFICATION_ABORTED)', async () => {
    const stop = new AbortController();
    const r = await verify(
      { repo: local(gbp), tag: gbp.tag, upload: atPath(gbp) },
      deps({
        signal: stop.signal,
        // Stopped as the sandboxed stages ask for their root filesystem.
        sandboxFor: async (name) => {
          stop.abort('service shutting down');
          return builderSandboxFor(name);
        },
      }),
    );
    expect(r.verdict, describeReport(r)).toBe('unverifiable');
    expect(codes(r)).toContain('VERIFICATION_ABORTED');
    expect(r.reasons.find((x) => x.code === 'VERIFICATION_ABORTED')?.message).toContain('service shutting down');
    expect(r.reconstruction?.attempts.length ?? 0).toBeLessThanOrEqual(1);
    // The sandboxes were killed, not left to finish: the content check did not complete, no build reproduced.
    expect(r.layers.content.status).not.toBe('pass');
    expect(r.reconstruction?.attempts.map((x) => x.outcome) ?? []).not.toContain('reproduced');
    expect(r.layers.bits.status).not.toBe('pass');
  });

  it('a missing upload is unverifiable (UPLOAD_NOT_FOUND)', async () => {
    const r = await verify(
      { repo: local(gbp), tag: gbp.tag, upload: { kind: 'dsc-path', path: join(work.dir, 'nothing', gbp.dsc) } },
      deps(),
    );
    expect(r.verdict, describeReport(r)).toBe('unverifiable');
    expect(codes(r)).toEqual(['UPLOAD_NOT_FOUND']);
  });

  it('a repository that cannot be fetched is unverifiable', async () => {
    const r = await verify({ repo: `${gitServer.url}/no-such-repo.git`, tag: gbp.tag, upload: atPath(gbp) }, deps());
    expect(r.verdict, describeReport(r)).toBe('unverifiable');
    expect(codes(r)).toEqual(['FETCH_FAILED']);
  });

  it('a sandboxed step past its time limit is unverifiable', async () => {
    const r = await verify({ repo: local(gbp), tag: gbp.tag, upload: atPath(gbp) }, deps({ buildTimeoutMs: 50 }));
    expect(r.verdict, describeReport(r)).toBe('unverifiable');
    expect(
      codes(r).some((c) => c === 'SANDBOX_TIMEOUT' || c === 'BUILD_TIMEOUT'),
      describeReport(r),
    ).toBe(true);
  });
});
