// Obtaining uploads from a loopback mirror that serves a real tag2upload
// upload (fixtures/dsc/upload: dh-ocaml 3.8, .dsc and tarball as the archive
// has them) under test suites whose InRelease is clearsigned by an archive key
// made with gpg; and from a local directory. Every failure path has its case.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deb822Paragraph } from '../../src/deb822/paragraph.js';
import { obtainUpload, type ObtainOptions, type ObtainResult, type UploadLocator } from '../../src/upload/obtain.js';
import { fetchSourcesIndex, tag2uploadEntries } from '../../src/upload/sources-index.js';
import { Gpg } from '../authenticate/gpg-harness.js';
import { startMirrorServer, type MirrorServer } from './mirror-server.js';
import { publishSuite, sourcesStanza, writeTreeFile } from '../helpers/debian-mirror.js';

const UPLOAD = resolve(import.meta.dirname, '../../fixtures/dsc/upload');
const DSC = 'dh-ocaml_3.8.dsc';
const TARBALL = 'dh-ocaml_3.8.tar.xz';
const POOL = 'pool/main/d/dh-ocaml';

let tree: string;
let work: string;
let server: MirrorServer;
let archive: Gpg;
let stranger: Gpg;
let archiveRing: string;

function write(path: string, data: Uint8Array | string): void {
  writeTreeFile(tree, path, data);
}

function publish(suite: string, stanzas: Deb822Paragraph[], opts: { signer?: Gpg; validUntil?: Date; tamper?: boolean } = {}): void {
  const signer = opts.signer ?? archive;
  const uid = signer === archive ? 'Test Archive <archive@t2u.test>' : 'Stranger <stranger@t2u.test>';
  publishSuite(tree, suite, stanzas, { ...opts, signer, uid });
}

beforeAll(async () => {
  tree = mkdtempSync(join(tmpdir(), 't2u-upload-mirror-'));
  work = mkdtempSync(join(tmpdir(), 't2u-upload-work-'));
  const dscBytes = readFileSync(join(UPLOAD, DSC));
  const tarball = readFileSync(join(UPLOAD, TARBALL));
  write(`${POOL}/${DSC}`, dscBytes);
  write(`${POOL}/${TARBALL}`, tarball);
  // Broken copies of the same upload, one directory each.
  const flipped = Buffer.from(tarball);
  flipped[1000] = flipped[1000]! ^ 1;
  for (const [dir, data] of [
    ['bad-hash', flipped],
    ['too-long', Buffer.concat([tarball, Buffer.from('!')])],
    ['too-short', tarball.subarray(0, tarball.length - 1)],
  ] as const) {
    write(`${dir}/${DSC}`, dscBytes);
    write(`${dir}/${TARBALL}`, data);
  }
  write(`no-tarball/${DSC}`, dscBytes);
  write('garbage/garbage_1.dsc', 'this is not a control file\n');
  write(`pool/main/d/dh-ocaml-evil/${DSC}`, Buffer.concat([dscBytes, Buffer.from('\n')]));

  archive = Gpg.create();
  archive.must(['--quick-gen-key', 'Test Archive <archive@t2u.test>', 'ed25519', 'sign', 'never']);
  stranger = Gpg.create();
  stranger.must(['--quick-gen-key', 'Stranger <stranger@t2u.test>', 'ed25519', 'sign', 'never']);
  archiveRing = join(work, 'archive.gpg');
  writeFileSync(archiveRing, archive.must(['--export']));

  const good = sourcesStanza(dscBytes, POOL, DSC);
  const missing = new Deb822Paragraph(good.fields.map((f) => [f.name, f.value] as const))
    .set('Version', '3.7')
    .set('Checksums-Sha256', good.get('Checksums-Sha256')!.replaceAll('3.8', '3.7'));
  const plain = new Deb822Paragraph(
    good.fields.filter((f) => f.name !== 'Git-Tag-Info' && f.name !== 'Dgit').map((f) => [f.name, f.value] as const),
  )
    .set('Package', 'dh-ocaml-evil')
    .set('Directory', 'pool/main/d/dh-ocaml-evil');
  publish('t2u-test', [plain, good, missing]);
  publish('expired', [good], { validUntil: new Date(Date.now() - 86400_000) });
  publish('stranger', [good], { signer: stranger });
  publish('tampered', [good], { tamper: true });
  // Another suite's (valid) InRelease and index served under the name "renamed".
  for (const f of ['InRelease', 'main/source/Sources.xz']) write(`dists/renamed/${f}`, readFileSync(join(tree, 'dists/t2u-test', f)));
  server = await startMirrorServer(tree);
});

afterAll(async () => {
  await server.close();
  archive.close();
  stranger.close();
  rmSync(tree, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const loopback: ObtainOptions = { policy: { allowHttpLoopback: true } };
const indexOptions = (): ObtainOptions['indexOptions'] => ({ archiveKeyring: archiveRing });

async function obtain(where: UploadLocator, opts: ObtainOptions = {}): Promise<ObtainResult> {
  return obtainUpload(where, { ...loopback, parentDir: work, ...opts });
}
function codes(r: ObtainResult): string[] {
  return r.ok ? [] : r.reasons.map((x) => x.code);
}
/** No private directory is left behind by a failure. */
function leftovers(): string[] {
  return readdirSync(work).filter((f) => f.startsWith('t2u-upload-'));
}

describe('obtainUpload from a .dsc URL', () => {
  it('fetches the .dsc and exactly the files it lists into a private directory', async () => {
    const before = server.requests.length;
    const r = await obtain({ kind: 'dsc-url', url: `${server.url}/${POOL}/${DSC}` });
    if (!r.ok) throw new Error(JSON.stringify(r.reasons));
    try {
      expect(statSync(r.upload.dir).mode & 0o777).toBe(0o700);
      expect(readdirSync(r.upload.dir).sort()).toEqual([DSC, TARBALL]);
      expect(readFileSync(r.upload.files[0]!.path)).toEqual(readFileSync(join(UPLOAD, TARBALL)));
      expect(r.upload.dsc.gitTagInfo?.fp).toMatch(/^[0-9a-f]{40}$/);
      expect(server.requests.slice(before)).toEqual([`/${POOL}/${DSC}`, `/${POOL}/${TARBALL}`]);
    } finally {
      await r.upload.dispose();
    }
    expect(leftovers()).toEqual([]);
  });

  it('UPLOAD_CHECKSUM_MISMATCH for a file with another SHA-256, one byte too many or too few', async () => {
    for (const dir of ['bad-hash', 'too-long', 'too-short']) {
      const r = await obtain({ kind: 'dsc-url', url: `${server.url}/${dir}/${DSC}` });
      expect(codes(r), dir).toEqual(['UPLOAD_CHECKSUM_MISMATCH']);
    }
    expect(leftovers()).toEqual([]);
  });

  it('UPLOAD_NOT_FOUND for a missing .dsc or a missing listed file (HTTP 404)', async () => {
    expect(codes(await obtain({ kind: 'dsc-url', url: `${server.url}/${POOL}/dh-ocaml_9.dsc` }))).toEqual(['UPLOAD_NOT_FOUND']);
    expect(codes(await obtain({ kind: 'dsc-url', url: `${server.url}/no-tarball/${DSC}` }))).toEqual(['UPLOAD_NOT_FOUND']);
  });

  it('UPLOAD_FETCH_FAILED for another HTTP error', async () => {
    server.faults.set(`/${POOL}/${TARBALL}`, { status: 503 });
    try {
      expect(codes(await obtain({ kind: 'dsc-url', url: `${server.url}/${POOL}/${DSC}` }))).toEqual(['UPLOAD_FETCH_FAILED']);
    } finally {
      server.faults.clear();
    }
  });

  it('UPLOAD_TIMEOUT when the server stalls past the deadline', async () => {
    server.faults.set(`/${POOL}/${TARBALL}`, { delayMs: 5000 });
    try {
      const t0 = Date.now();
      expect(codes(await obtain({ kind: 'dsc-url', url: `${server.url}/${POOL}/${DSC}` }, { timeoutMs: 500 }))).toEqual(['UPLOAD_TIMEOUT']);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      server.faults.clear();
    }
    expect(leftovers()).toEqual([]);
  });

  it('UPLOAD_TOO_LARGE past the .dsc, per-file or total limits', async () => {
    const url = `${server.url}/${POOL}/${DSC}`;
    expect(codes(await obtain({ kind: 'dsc-url', url }, { maxDscBytes: 100 }))).toEqual(['UPLOAD_TOO_LARGE']);
    expect(codes(await obtain({ kind: 'dsc-url', url }, { maxFileBytes: 1000 }))).toEqual(['UPLOAD_TOO_LARGE']);
    expect(codes(await obtain({ kind: 'dsc-url', url }, { maxTotalBytes: 1000 }))).toEqual(['UPLOAD_TOO_LARGE']);
  });

  it('UPLOAD_URL_INVALID for plain http off loopback, a query, or a URL that is not a .dsc', async () => {
    expect(codes(await obtainUpload({ kind: 'dsc-url', url: `${server.url}/${POOL}/${DSC}` }))).toEqual(['UPLOAD_URL_INVALID']);
    expect(codes(await obtain({ kind: 'dsc-url', url: 'http://deb.debian.org/debian/x_1.dsc' }))).toEqual(['UPLOAD_URL_INVALID']);
    expect(codes(await obtain({ kind: 'dsc-url', url: `${server.url}/${POOL}/${DSC}?x=1` }))).toEqual(['UPLOAD_URL_INVALID']);
    expect(codes(await obtain({ kind: 'dsc-url', url: `${server.url}/${POOL}/${TARBALL}` }))).toEqual(['UPLOAD_URL_INVALID']);
    expect(codes(await obtain({ kind: 'dsc-url', url: 'not a url' }))).toEqual(['UPLOAD_URL_INVALID']);
  });

  it('UPLOAD_DSC_INVALID for a .dsc that is not a control file', async () => {
    expect(codes(await obtain({ kind: 'dsc-url', url: `${server.url}/garbage/garbage_1.dsc` }))).toEqual(['UPLOAD_DSC_INVALID']);
  });
});

describe('obtainUpload from a local .dsc', () => {
  it('copies the .dsc and its files, checked', async () => {
    const r = await obtain({ kind: 'dsc-path', path: join(UPLOAD, DSC) });
    if (!r.ok) throw new Error(JSON.stringify(r.reasons));
    expect(r.upload.files.map((f) => f.name)).toEqual([TARBALL]);
    await r.upload.dispose();
  });

  it('UPLOAD_NOT_FOUND when a listed file is not beside it; UPLOAD_CHECKSUM_MISMATCH when it differs', async () => {
    const dir = mkdtempSync(join(work, 'local-'));
    copyFileSync(join(UPLOAD, DSC), join(dir, DSC));
    expect(codes(await obtain({ kind: 'dsc-path', path: join(dir, DSC) }))).toEqual(['UPLOAD_NOT_FOUND']);
    copyFileSync(join(tree, 'bad-hash', TARBALL), join(dir, TARBALL));
    expect(codes(await obtain({ kind: 'dsc-path', path: join(dir, DSC) }))).toEqual(['UPLOAD_CHECKSUM_MISMATCH']);
    expect(codes(await obtain({ kind: 'dsc-path', path: join(dir, 'nothing_1.dsc') }))).toEqual(['UPLOAD_NOT_FOUND']);
    rmSync(dir, { recursive: true });
  });
});

describe('obtainUpload from a verified Sources index', () => {
  it('lists the tag2upload entries and obtains one by source and version', async () => {
    const index = await fetchSourcesIndex({
      mirror: server.url,
      suite: 't2u-test',
      archiveKeyring: archiveRing,
      policy: { allowHttpLoopback: true },
    });
    expect(index.entries.map((e) => `${e.source} ${e.version}`)).toEqual(['dh-ocaml-evil 3.8', 'dh-ocaml 3.8', 'dh-ocaml 3.7']);
    expect(tag2uploadEntries(index).map((e) => e.version)).toEqual(['3.8', '3.7']);
    const r = await obtain({ kind: 'archive', source: 'dh-ocaml', version: '3.8' }, { index });
    if (!r.ok) throw new Error(JSON.stringify(r.reasons));
    expect(r.upload.indexEntry?.directory).toBe(POOL);
    expect(r.upload.origin).toBe(`${server.url}/${POOL}/${DSC}`);
    await r.upload.dispose();
    // Fetching the index itself, through obtainUpload.
    const again = await obtain(
      { kind: 'archive', source: 'dh-ocaml', version: '3.8', mirror: server.url, suite: 't2u-test' },
      { indexOptions: indexOptions() },
    );
    expect(again.ok).toBe(true);
    if (again.ok) await again.upload.dispose();
  });

  it('UPLOAD_NOT_FOUND for a version the index lacks, or one whose files the mirror lacks', async () => {
    const base = { kind: 'archive' as const, source: 'dh-ocaml', mirror: server.url, suite: 't2u-test' };
    expect(codes(await obtain({ ...base, version: '9.9' }, { indexOptions: indexOptions() }))).toEqual(['UPLOAD_NOT_FOUND']);
    expect(codes(await obtain({ ...base, version: '3.7' }, { indexOptions: indexOptions() }))).toEqual(['UPLOAD_NOT_FOUND']);
  });

  it('UPLOAD_CHECKSUM_MISMATCH when the pool .dsc differs from the verified index', async () => {
    const r = await obtain(
      { kind: 'archive', source: 'dh-ocaml-evil', version: '3.8', mirror: server.url, suite: 't2u-test' },
      { indexOptions: indexOptions() },
    );
    expect(codes(r)).toEqual(['UPLOAD_CHECKSUM_MISMATCH']);
  });

  it('UPLOAD_INDEX_UNVERIFIED for an InRelease by another key, an expired one, or a Sources.xz that does not match', async () => {
    for (const suite of ['stranger', 'expired', 'tampered', 'renamed']) {
      const r = await obtain(
        { kind: 'archive', source: 'dh-ocaml', version: '3.8', mirror: server.url, suite },
        { indexOptions: indexOptions() },
      );
      expect(codes(r), suite).toEqual(['UPLOAD_INDEX_UNVERIFIED']);
      // Why it was refused, and how to accept it.
      if (suite === 'expired')
        expect(r.ok ? '' : r.reasons[0]!.message).toMatch(
          /expired at .*refused, as a mirror replaying an old Release would look the same.*--allow-expired-release/,
        );
    }
    // An expired Release is accepted, with a warning, when explicitly allowed.
    const index = fetchSourcesIndex({
      mirror: server.url,
      suite: 'expired',
      archiveKeyring: archiveRing,
      policy: { allowHttpLoopback: true },
      allowExpiredRelease: true,
    });
    await expect(index).resolves.toMatchObject({ warnings: [expect.stringMatching(/expired/)] });
  });

  it('keeps an allowed expired InRelease as an UPLOAD_INDEX_EXPIRED note, whether the upload is then obtained or not', async () => {
    const allowed = { indexOptions: { ...indexOptions(), allowExpiredRelease: true } };
    const where = { kind: 'archive' as const, source: 'dh-ocaml', mirror: server.url, suite: 'expired' };
    const got = await obtain({ ...where, version: '3.8' }, allowed);
    if (!got.ok) throw new Error(JSON.stringify(got.reasons));
    expect(got.upload.notes.map((n) => n.code)).toEqual(['UPLOAD_INDEX_EXPIRED']);
    expect(got.upload.notes[0]!.message).toMatch(/^InRelease of expired at .* expired at /);
    await got.upload.dispose();
    const missing = await obtain({ ...where, version: '9.9' }, allowed);
    expect(codes(missing)).toEqual(['UPLOAD_NOT_FOUND']);
    expect(missing.ok ? [] : missing.notes.map((n) => n.code)).toEqual(['UPLOAD_INDEX_EXPIRED']);
    // A current index adds no note.
    const current = await obtain({ ...where, suite: 't2u-test', version: '3.8' }, { indexOptions: indexOptions() });
    if (!current.ok) throw new Error(JSON.stringify(current.reasons));
    expect(current.upload.notes).toEqual([]);
    await current.upload.dispose();
  });
});
