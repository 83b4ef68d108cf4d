// check-tag against tag2upload itself: every tag of a corpus generated here
// (oracle-corpus.ts: keys, signatures, armor, bytes, kinds of tag) is judged
// by Debian's tag2upload server code with gpgv in trixie (tag2upload-oracle.ts)
// and by check-tag. They must agree on whether tag2upload would upload the
// tag. The only allowed disagreement is a tag tag2upload uploads and check-tag
// refuses for a rule docs/check-tag.md lists as deliberately stricter (its
// "Stricter than tag2upload" table, read here): check-tag saying `authentic`
// where tag2upload would not upload is never allowed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { checkTag } from '../../src/pipeline/check-tag.js';
import { openRepository } from '../../src/pipeline/open-repository.js';
import { loadTrust, type Trust } from '../../src/pipeline/trust.js';
import type { CheckTagReport } from '../../src/report/report.js';
import { makeCorpus, type Corpus, type CorpusCase } from './oracle-corpus.js';
import { tag2uploadVerdict, type OracleVerdict } from './tag2upload-oracle.js';

const ROOT = join(import.meta.dirname, '../..');

/** The reason codes docs/check-tag.md lists as stricter than tag2upload (its table's first column). */
function stricterCodes(): Set<string> {
  const doc = readFileSync(join(ROOT, 'docs/check-tag.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Stricter than tag2upload'));
  if (!section) throw new Error('docs/check-tag.md has no "Stricter than tag2upload" section');
  const codes = new Set<string>();
  for (const line of section.split('\n')) {
    const m = /^\| `([A-Z0-9_]+)` \|/.exec(line);
    if (m) codes.add(m[1]!);
  }
  return codes;
}

let corpus: Corpus;
let trust: Trust;
let config: Awaited<ReturnType<typeof loadConfig>>;
const results: Array<{ c: CorpusCase; oracle: OracleVerdict; ours: CheckTagReport; verdict: 'agree' | 'stricter' | 'DISAGREE' }> = [];

beforeAll(async () => {
  corpus = await makeCorpus();
  config = await loadConfig(undefined, {
    keyrings: [...corpus.uploaders.map((path) => ({ path, role: 'uploader' as const })), { path: corpus.dm, role: 'dm' }],
    dmTxt: corpus.dmTxt,
  });
  trust = await loadTrust(config);
}, 900_000);

afterAll(() => {
  if (results.length > 0) {
    const lines = results.map(
      (r) =>
        `${r.verdict.padEnd(8)} ${r.c.id.padEnd(40)} tag2upload ${r.oracle.accepted ? 'uploads' : 'refuses'}; check-tag ${r.ours.verdict} ${[...r.ours.reasons].map((x) => x.code).join(',')}`,
    );
    const stricter = results.filter((r) => r.verdict === 'stricter').length;
    const disagree = results.filter((r) => r.verdict === 'DISAGREE').length;
    process.stdout.write(
      `tag2upload oracle corpus: ${results.length} tags, ${results.length - stricter - disagree} agree, ${stricter} stricter by documented policy, ${disagree} disagreements\n${lines.join('\n')}\n`,
    );
  }
  corpus?.close();
});

describe('check-tag agrees with tag2upload (dgit-repos-server and gpgv in trixie) on a generated corpus', () => {
  it('the corpus has at least 60 tags', () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(60);
  });

  const stricter = stricterCodes();
  // The case list is known only once the corpus is made: one test walks it, reporting every disagreement.
  it('every tag: same decision, or refused by a documented stricter rule', async () => {
    const failures: string[] = [];
    for (const c of corpus.cases) {
      const oracle = await tag2uploadVerdict(corpus.repo, c.tag, c.package, {
        uploaders: corpus.uploaders,
        dm: [corpus.dm],
        dmTxt: corpus.dmTxt,
      });
      const ours = await checkTag(
        { repo: corpus.repo, tag: c.tag },
        { openRepository: (r) => openRepository(r, config), keyrings: trust.keyrings, dm: trust.dm, policy: trust.policy },
      );
      const authentic = ours.verdict === 'authentic';
      const codes = ours.reasons.map((x) => x.code);
      const verdict =
        authentic === oracle.accepted
          ? 'agree'
          : oracle.accepted && codes.length > 0 && codes.every((x) => stricter.has(x))
            ? 'stricter'
            : 'DISAGREE';
      results.push({ c, oracle, ours, verdict });
      if (verdict === 'DISAGREE') {
        failures.push(
          `${c.id} (${c.what}): tag2upload ${oracle.accepted ? 'uploads it' : `refuses it (${oracle.message})`}; check-tag says ${ours.verdict}${codes.length ? ` (${ours.reasons.map((x) => `${x.code}: ${x.message}`).join('; ')})` : ''}`,
        );
      }
    }
    expect(failures).toEqual([]);
  }, 1_800_000);

  // The classes where check-tag used to answer otherwise than tag2upload, pinned to what it answers now.
  const PINNED: Record<string, { verdict: string; codes: string[] }> = {
    'blocks/good-then-outsider': { verdict: 'authentic', codes: [] },
    'blocks/good-then-good': { verdict: 'authentic', codes: [] },
    'packets/good-then-outsider': { verdict: 'authentic', codes: [] },
    'armor/trailing-text': { verdict: 'authentic', codes: [] },
    'signature/wrong-digest-prefix-rsa': { verdict: 'authentic', codes: [] },
    'signature/wrong-digest-prefix-ed25519': { verdict: 'authentic', codes: [] },
    'key/brainpoolP256r1': { verdict: 'authentic', codes: [] },
    'digest/ed25519-sha1': { verdict: 'rejected', codes: ['WEAK_DIGEST'] },
    'version/v5-key': { verdict: 'unverifiable', codes: ['SIGNATURE_VERSION_UNSUPPORTED'] },
    'version/v6-key': { verdict: 'rejected', codes: ['SIGNATURE_VERSION_REJECTED'] },
    'revocation/compromised-after': { verdict: 'rejected', codes: ['KEY_REVOKED'] },
    'revocation/retired-after': { verdict: 'authentic', codes: [] },
  };
  it("the classes that used to disagree: check-tag's answer for each", () => {
    for (const [id, want] of Object.entries(PINNED)) {
      const r = results.find((x) => x.c.id === id);
      expect(r, id).toBeDefined();
      expect({ verdict: r!.ours.verdict, codes: r!.ours.reasons.map((x) => x.code) }, id).toEqual(want);
    }
  });
});
