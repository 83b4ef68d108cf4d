// The real archive: sid's Sources index from deb.debian.org (one download of
// Sources.xz), verified against the host's debian-archive-keyring; its
// tag2upload entries; one real upload obtained through it and its .dsc
// verified with the real debian-tag2upload-keyring.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKeyrings } from '../../src/authenticate/openpgp/keyring-index.js';
import { obtainUpload } from '../../src/upload/obtain.js';
import { fetchSourcesIndex, findSourcesEntry, tag2uploadEntries } from '../../src/upload/sources-index.js';
import { verifyDscSignature } from '../../src/authenticate/openpgp/verify-dsc-signature.js';
import { tag2uploadKeyring } from './tag2upload-keyring.js';
import { realMirrorProblem } from '../helpers/real-mirror.js';

const FIXTURE_INDEX = resolve(import.meta.dirname, '../../fixtures/dsc/index.tsv');

describe('real Debian mirror (deb.debian.org): the Sources index; skipped, with the reason, when the snapshot cannot show it', () => {
  it('verifies, lists the tag2upload uploads, and yields a real upload whose .dsc the service key signed', async ({ skip }) => {
    const problem = await realMirrorProblem('sid', ['main/source/Sources.xz', 'main/binary-all/Packages.xz']);
    if (problem) skip(problem);
    const t0 = Date.now();
    // The mirror this runs against may lag behind Valid-Until; a stale Release is accepted here with a warning.
    const index = await fetchSourcesIndex({ allowExpiredRelease: true });
    const took = Date.now() - t0;
    expect(index.entries.length).toBeGreaterThan(30_000);
    const t2u = tag2uploadEntries(index);
    expect(t2u.length).toBeGreaterThan(500);
    for (const e of t2u) {
      expect(e.gitTagInfo!.tag).toMatch(/^[0-9a-f]{40}$/);
      expect(e.directory).toMatch(/^pool\/main\//);
      expect(e.files).toContainEqual(e.dsc);
    }
    // The fixtures came from this index; those still in sid agree with it.
    const rows = readFileSync(FIXTURE_INDEX, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t'));
    for (const [source, version, directory, dsc, sha, , tag, fp] of rows) {
      const e = findSourcesEntry(index, source!, version!);
      if (!e) continue;
      expect(e).toMatchObject({ directory, dsc: { name: dsc, hash: sha }, gitTagInfo: { tag, fp } });
    }
    console.log(`Sources index: ${index.entries.length} entries, ${t2u.length} tag2upload, ${index.skipped.length} skipped, ${took} ms`);

    // The mirror serves part of the pool: try the smallest uploads until one is there.
    const keyring = await loadKeyrings([{ path: (await tag2uploadKeyring('sid')).path, role: 'uploader' }]);
    // The complete fixture upload was on the mirror when the fixtures were made; then the smallest others.
    const size = (e: (typeof t2u)[number]): number => e.files.reduce((n, f) => n + f.size, 0);
    const known = t2u.filter((e) => e.source === 'dh-ocaml');
    const candidates = [...known, ...[...t2u].sort((a, b) => size(a) - size(b)).filter((e) => !known.includes(e))].slice(0, 150);
    for (const e of candidates) {
      const r = await obtainUpload({ kind: 'archive', source: e.source, version: e.version }, { index, timeoutMs: 120_000 });
      if (!r.ok) {
        expect(r.reasons.map((x) => x.code)).toEqual(['UPLOAD_NOT_FOUND']);
        continue;
      }
      try {
        expect(r.upload.dsc.gitTagInfo).toEqual(e.gitTagInfo);
        const sig = await verifyDscSignature(r.upload.dscBytes, keyring);
        expect(sig.reasons).toEqual([]);
        expect(sig.signerFingerprint).toBe('374d8ce4db96e9cbd4c0972a606d084e4683c079');
        console.log(`obtained ${e.source} ${e.version} (${r.upload.files.length} files) from ${r.upload.origin}`);
      } finally {
        await r.upload.dispose();
      }
      return;
    }
    throw new Error('the mirror served none of 150 small tag2upload uploads');
  }, 300_000);
});
