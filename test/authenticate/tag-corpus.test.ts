// The authenticity verdict on every tag of the fixture corpus (fixtures/tags,
// made by git-debpush and gpg), against the authenticity codes its manifest
// expects. Codes the tag-object parser gives (TAG_OBJECT_MALFORMED) are not
// this stage's; SHA1_KEY_BINDING counts whether it is a reason or a note.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDmTxt } from '../../src/authenticate/dm-txt.js';
import { loadKeyrings } from '../../src/authenticate/openpgp/keyring-index.js';
import { checkDmAuthorisation, DEFAULT_SIGNATURE_POLICY, verifyTagSignature } from '../../src/authenticate/openpgp/verify-tag-signature.js';
import { parseTagObject } from '../../src/gitobj/tag-object.js';
import { REASONS, type ReasonCode } from '../../src/report/reasons.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MANIFEST = join(ROOT, 'fixtures/tags/manifest.json');

interface Entry {
  id: string;
  repo: string;
  object: string;
  objectType: string;
  expect: { codes: string[] };
}

interface Manifest {
  keyrings: { uploaders: string; dm: string; dmTxt: string };
  repos: Record<string, string>;
  tags: Entry[];
}

const manifest = existsSync(MANIFEST) ? (JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest) : undefined;
const work = mkdtempSync(join(tmpdir(), 't2u-auth-corpus-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const OTHER_STAGES = new Set<string>(['TAG_OBJECT_MALFORMED', 'NOT_ANNOTATED_TAG', 'OBJECT_HASH_MISMATCH']);

describe.runIf(manifest !== undefined)('authenticity verdicts on the fixture tag corpus', () => {
  const m = manifest!;
  const clones = new Map<string, string>();
  const repoDir = (name: string): string => {
    let dir = clones.get(name);
    if (!dir) {
      dir = join(work, name);
      execFileSync('git', ['clone', '-q', '--bare', join(ROOT, m.repos[name]!), dir]);
      clones.set(name, dir);
    }
    return dir;
  };
  const tags = m.tags.filter((t) => t.objectType === 'tag');

  it.each(tags.map((t) => [t.id, t] as const))('%s', async (_id, t) => {
    const index = await loadKeyrings([
      { path: join(ROOT, m.keyrings.uploaders), role: 'uploader' },
      { path: join(ROOT, m.keyrings.dm), role: 'dm' },
    ]);
    const dm = parseDmTxt(readFileSync(join(ROOT, m.keyrings.dmTxt), 'utf8'));
    const raw = execFileSync('git', ['-C', repoDir(t.repo), 'cat-file', 'tag', t.object]);
    const tag = parseTagObject(raw);
    const r = await verifyTagSignature(tag, index, {
      ...DEFAULT_SIGNATURE_POLICY,
      rejectDigests: [...DEFAULT_SIGNATURE_POLICY.rejectDigests],
    });
    const pkg = /\bsource=([0-9a-z][-+.0-9a-z]*)/.exec(Buffer.from(tag.message).toString('latin1'))?.[1] ?? t.repo;
    const ours = new Set<string>([...r.reasons, ...r.notes, ...checkDmAuthorisation(r, pkg, dm)].map((x) => x.code));
    const want = new Set(t.expect.codes.filter((c) => REASONS[c as ReasonCode]?.layer === 'authenticity' && !OTHER_STAGES.has(c)));
    expect([...ours].sort()).toEqual([...want].sort());
  });
});
