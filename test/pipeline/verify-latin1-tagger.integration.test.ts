// verify on an upload whose Git-Tag-Tagger is not UTF-8 (fixtures/uploads/
// make-latin1-tagger.sh: a real git-debpush tag whose tagger name has the
// Latin-1 byte 0xE9, built by dgit's builder mode, the fields added as dgit
// adds them, signed by debsign with the test service key). The .dsc is read
// as bytes and Git-Tag-Tagger is compared with the tag's tagger bytes: the
// honest upload passes the binding and is reproduced; the same upload with
// one tagger byte changed and signed again by the service key is a mismatch
// (TAG_TAGGER_MISMATCH).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { verify, type VerifyDeps } from '../../src/pipeline/verify.js';
import { PROFILES } from '../../src/sandbox/builder-profiles.js';
import type { VerifyReport } from '../../src/report/report.js';
import { readDsc } from '../../src/deb822/dsc.js';
import { forSteps, TEST_BUILD_MS, verifySteps } from '../helpers/work-limits.js';
import { REPO_ROOT, SERVICE_KEYRING } from '../reconstruct/upload-fixtures.js';
import { loadFixtureTrust, type FixtureTrust } from '../helpers/fixture-keyrings.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const HONEST = join(REPO_ROOT, 'fixtures', 'uploads', 'latin1-tagger');
const TAMPERED = join(REPO_ROOT, 'fixtures', 'uploads', 'tamper-latin1-tagger');
interface LatinCase {
  tag: string;
  tagObject: string;
  dsc: string;
  bundle: string;
}
const CASE = JSON.parse(readFileSync(join(HONEST, 'case.json'), 'utf8')) as LatinCase;
const TAGGER = Buffer.from('T2U Test Jos\xe9 RSA3072 <rsa3072@t2u.test>', 'latin1');

vi.setConfig({ testTimeout: forSteps(verifySteps(PROFILES.length)) });

const work = scratchDir('t2u-verify-latin1-');
let repo: string;
let fixture: FixtureTrust;

beforeAll(async () => {
  repo = join(work.dir, 'repo.git');
  execFileSync('git', ['clone', '-q', '--mirror', join(REPO_ROOT, CASE.bundle), repo]);
  fixture = await loadFixtureTrust();
});

function deps(): VerifyDeps {
  return { ...fixture.deps, uploadKeyring: SERVICE_KEYRING, buildTimeoutMs: TEST_BUILD_MS };
}

const describeReport = (r: VerifyReport): string =>
  `${r.verdict}: ${[...r.reasons.map((x) => `${x.code} ${x.message}`), ...r.notes.map((x) => `note ${x.code}`)].join('; ')}`;

describe('a Git-Tag-Tagger that is not UTF-8', () => {
  it("the fixtures carry the tag's tagger bytes, and one byte changed in the tampered copy", () => {
    const honest = readDsc(readFileSync(join(HONEST, CASE.dsc))).dsc;
    expect(honest.encoding).toBe('latin1');
    expect(Buffer.from(honest.gitTagTaggerBytes!)).toEqual(TAGGER);
    const raw = execFileSync('git', ['-C', repo, 'cat-file', 'tag', CASE.tagObject]);
    expect(raw.includes(Buffer.concat([Buffer.from('\ntagger '), TAGGER, Buffer.from(' ')]))).toBe(true);
    const tampered = readDsc(readFileSync(join(TAMPERED, CASE.dsc))).dsc;
    const diff = [...TAGGER].filter((b, i) => b !== tampered.gitTagTaggerBytes![i]);
    expect(tampered.gitTagTaggerBytes!.length).toBe(TAGGER.length);
    expect(diff).toEqual([0xe9]);
  });

  it('the honest upload passes the binding and is reproduced', async () => {
    const r = await verify({ repo, tag: CASE.tag, upload: { kind: 'dsc-path', path: join(HONEST, CASE.dsc) } }, deps());
    expect(r.layers.binding.status, describeReport(r)).toBe('pass');
    expect(r.verdict, describeReport(r)).toBe('reproduced');
    expect(r.tag.taggerBytes).toBe(TAGGER.toString('hex'));
    expect(r.reconstruction?.toolchains.map((t) => [t.name, t.status])).toEqual([
      ['dgit', 'agrees'],
      ['typescript', 'agrees'],
    ]);
  });

  it('the same upload with one tagger byte changed, signed again by the service key, is TAG_TAGGER_MISMATCH', async () => {
    const r = await verify({ repo, tag: CASE.tag, upload: { kind: 'dsc-path', path: join(TAMPERED, CASE.dsc) } }, deps());
    expect(r.verdict, describeReport(r)).toBe('mismatch');
    expect(r.layers.binding.status).toBe('fail');
    expect(r.reasons.filter((x) => x.layer === 'binding').map((x) => x.code)).toEqual(['TAG_TAGGER_MISMATCH']);
  });
});
