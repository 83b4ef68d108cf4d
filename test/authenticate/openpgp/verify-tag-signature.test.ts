// Every reason code of the authenticate stage, produced by a tag that real gpg
// signed (and git mktag accepted), and compared with gpgv (dgit's reading of
// it) and `git verify-tag` on the same bytes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDmTxt } from '../../../src/authenticate/dm-txt.js';
import { loadKeyrings, type KeyringIndex } from '../../../src/authenticate/openpgp/keyring-index.js';
import {
  checkDmAuthorisation,
  DEFAULT_SIGNATURE_POLICY,
  verifyTagSignature,
  type TagSignatureResult,
} from '../../../src/authenticate/openpgp/verify-tag-signature.js';
import { parseTagObject } from '../../../src/gitobj/tag-object.js';
import type { ReasonCode } from '../../../src/report/reasons.js';
import { DM_RING, DM_TXT, fixtureKeys, Gpg, gpgv, KEYS_DIR, signedTag, TagRepo, UPLOADERS, type FixtureKey } from '../gpg-harness.js';

const SIGN_AT = '20240301T000000';
const SIGN_EPOCH = 1709251200;

let keys: Record<string, FixtureKey>;
let signer: Gpg;
let maker: Gpg;
let verifyHome: Gpg;
let repo: TagRepo;
let work: string;
let extraRing: string;
let index: KeyringIndex;
/** Scenario keys made for these tests: name → signing fingerprint. */
const scenario: Record<string, string> = {};

/** gpg's --gen-revoke menu numbers, which are not RFC 9580's reason codes (compromised is 2 there). */
const REVOKE_MENU = { noReason: 0, compromised: 1, superseded: 2, retired: 3 } as const;

function revoke(gpg: Gpg, fpr: string, why: keyof typeof REVOKE_MENU, at: string): void {
  // gpg --gen-revoke is interactive: confirm, reason, description (ended by an empty line), confirm.
  const cert = gpg.must(['--yes', '--command-fd', '0', '--armor', '--gen-revoke', fpr], {
    at,
    input: `y\n${REVOKE_MENU[why]}\nt2u-verify test\n\ny\n`,
    interactive: true,
  });
  gpg.must(['--import'], { input: cert });
}

function makeScenarioKeys(): void {
  const T0 = '20240101T000000';
  // Signs before it exists (gpg needs --ignore-time-conflict to do that).
  scenario.late = maker.genKey('Late <late@t2u.test>', 'ed25519', 'sign', T0);
  // Certify-only from 2024-02-01; the signature is made with the copy from before.
  scenario.nosign = maker.genKey('No Sign <nosign@t2u.test>', 'ed25519', 'sign', T0);
  signer.must(['--import'], { input: maker.exportSecret(scenario.nosign) });
  maker.must(['--expert', '--command-fd', '0', '--edit-key', scenario.nosign], {
    at: '20240201T000000',
    input: 'change-usage\nS\nQ\nsave\n',
    interactive: true,
  });
  scenario.dsa = maker.genKey('DSA <dsa@t2u.test>', 'dsa2048', 'sign', T0);
  // Retired (soft) and compromised (hard) revocations dated 2024-04-01, after SIGN_AT.
  scenario.retired = maker.genKey('Retired <retired@t2u.test>', 'ed25519', 'sign', T0);
  scenario.compromised = maker.genKey('Compromised <compromised@t2u.test>', 'ed25519', 'sign', T0);
  for (const n of ['late', 'dsa', 'retired', 'compromised']) signer.must(['--import'], { input: maker.exportSecret(scenario[n]!) });
  revoke(maker, scenario.retired, 'retired', '20240401T000000');
  revoke(maker, scenario.compromised, 'compromised', '20240401T000000');
  // A signing subkey whose binding is renewed on 2024-01-01T12:00 to expire 2024-01-02.
  const subPrimary = maker.genKey('Sub Expired <subexp@t2u.test>', 'ed25519', 'cert', T0);
  maker.must(['--quick-add-key', subPrimary, 'ed25519', 'sign', 'never'], { at: T0 });
  scenario.subexp = maker.fingerprints(subPrimary)[1]!;
  signer.must(['--import'], { input: maker.exportSecret(subPrimary) });
  maker.must(['--quick-set-expire', subPrimary, '20240102T000000', scenario.subexp], { at: '20240101T120000' });
  scenario.subexpPrimary = subPrimary;
  // A key in no keyring at all is the fixture `outsider`.
  maker.must([
    '--export',
    '-o',
    extraRing,
    ...['late', 'nosign', 'dsa', 'retired', 'compromised', 'subexpPrimary'].map((n) => scenario[n]!),
  ]);
}

beforeAll(async () => {
  keys = fixtureKeys();
  work = mkdtempSync(join(tmpdir(), 't2u-auth-test-'));
  extraRing = join(work, 'extra.gpg');
  signer = Gpg.create();
  maker = Gpg.create();
  verifyHome = Gpg.create();
  for (const name of Object.keys(keys)) signer.importFile(join(KEYS_DIR, `${name}.sec.asc`));
  makeScenarioKeys();
  for (const ring of [UPLOADERS, DM_RING, extraRing]) verifyHome.importFile(ring);
  repo = TagRepo.create();
  index = await loadKeyrings([
    { path: UPLOADERS, role: 'uploader' },
    { path: DM_RING, role: 'dm' },
    { path: extraRing, role: 'uploader' },
  ]);
});

afterAll(() => {
  for (const g of [signer, maker, verifyHome]) g?.close();
  repo?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Made {
  raw: Buffer;
  payload: Buffer;
  signature: Buffer;
  id: string;
}

/** A tag signed by `fpr` at `at` with real gpg and stored by git mktag. */
function makeTag(
  fpr: string,
  opts: { at?: string; epoch?: number; gpgArgs?: string[]; tamper?: (raw: Buffer) => Buffer; signature?: (payload: Buffer) => Buffer } = {},
): Made {
  const payload = repo.payload('debian/1.0-1', opts.epoch ?? SIGN_EPOCH);
  const signature = opts.signature
    ? opts.signature(payload)
    : signer.detachSign(payload, fpr, opts.at ?? SIGN_AT, ['--digest-algo', 'SHA512', ...(opts.gpgArgs ?? [])]);
  let raw = signedTag(payload, signature);
  if (opts.tamper) raw = opts.tamper(raw);
  const id = repo.mktag(raw);
  return { raw, payload, signature, id };
}

async function verify(made: Made, policy = DEFAULT_SIGNATURE_POLICY): Promise<TagSignatureResult> {
  return verifyTagSignature(parseTagObject(made.raw), index, { ...policy, rejectDigests: [...policy.rejectDigests] });
}

function codes(r: TagSignatureResult): ReasonCode[] {
  return [...new Set(r.reasons.map((x) => x.code))].sort();
}

const rings = (): string[] => [UPLOADERS, DM_RING, extraRing];

describe('verifyTagSignature: good signatures agree with gpgv', () => {
  it('accepts an RSA primary key signature, reporting signer, keyring and digest', async () => {
    const k = keys.rsa3072!;
    const made = makeTag(k.signing);
    const r = await verify(made);
    expect(r.reasons).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.signerFingerprint).toBe(k.signing.toLowerCase());
    expect(r.primaryFingerprint).toBe(k.primary.toLowerCase());
    expect(r.keyring).toBe(UPLOADERS);
    expect(r.keyringRole).toBe('uploader');
    expect(r.digestAlgorithm).toBe('sha512');
    expect(r.created?.getTime()).toBe(SIGN_EPOCH * 1000);
    const g = gpgv(rings(), made.payload, made.signature);
    expect(g.status).toBe(0);
    expect(g.dgitAccepts).toBe(true);
    // VALIDSIG: signing fingerprint (field 1) and primary fingerprint (field 10) agree with ours.
    expect(g.validsig?.[1]?.toLowerCase()).toBe(r.signerFingerprint);
    expect(g.validsig?.[10]?.toLowerCase()).toBe(r.primaryFingerprint);
  });

  it('names the subkey as signer when a subkey signs (Git-Tag-Info fp= is the subkey)', async () => {
    const k = keys.ed25519!;
    const made = makeTag(k.signing);
    const r = await verify(made);
    expect(r.ok).toBe(true);
    expect(r.signerFingerprint).toBe(k.signing.toLowerCase());
    expect(r.primaryFingerprint).toBe(k.primary.toLowerCase());
    expect(r.signerFingerprint).not.toBe(r.primaryFingerprint);
    const g = gpgv(rings(), made.payload, made.signature);
    expect(g.dgitAccepts).toBe(true);
    expect(g.validsig?.[1]?.toLowerCase()).toBe(r.signerFingerprint);
  });

  it('finds a DM key in the dm keyring and checks dm.txt for the package', async () => {
    const k = keys.dm!;
    const made = makeTag(k.signing);
    const r = await verify(made);
    expect(r.ok).toBe(true);
    expect(r.keyringRole).toBe('dm');
    expect(r.keyring).toBe(DM_RING);
    expect(r.primaryFingerprint).toBe(k.primary.toLowerCase());
    const dm = parseDmTxt(readFileSync(DM_TXT, 'utf8'));
    expect(checkDmAuthorisation(r, 'hello-t2u', dm)).toEqual([]);
    expect(checkDmAuthorisation(r, 'another-pkg', dm)).toEqual([]);
    expect(checkDmAuthorisation(r, 'other-pkg', dm).map((x) => x.code)).toEqual(['DM_NOT_AUTHORISED']);
    expect(checkDmAuthorisation(r, 'hello-t2u', undefined).map((x) => x.code)).toEqual(['DM_NOT_AUTHORISED']);
    expect(gpgv(rings(), made.payload, made.signature).dgitAccepts).toBe(true);
  });

  it('never asks dm.txt about an uploader key', async () => {
    const r = await verify(makeTag(keys.rsa3072!.signing));
    expect(checkDmAuthorisation(r, 'anything', undefined)).toEqual([]);
  });

  it('treats debian-nonupload keys like DM keys (dgit passes them with the dm.txt check)', async () => {
    const nonupload = await loadKeyrings([{ path: DM_RING, role: 'nonupload' }]);
    const made = makeTag(keys.dm!.signing);
    const r = await verifyTagSignature(parseTagObject(made.raw), nonupload, { ...DEFAULT_SIGNATURE_POLICY, rejectDigests: ['sha1'] });
    expect(r.ok).toBe(true);
    expect(r.keyringRole).toBe('nonupload');
    const dm = parseDmTxt(readFileSync(DM_TXT, 'utf8'));
    expect(checkDmAuthorisation(r, 'other-pkg', dm).map((x) => x.code)).toEqual(['DM_NOT_AUTHORISED']);
    expect(checkDmAuthorisation(r, 'hello-t2u', dm)).toEqual([]);
  });

  it('reports a SHA-1 key binding as a note under "report" and as a reason under "reject"', async () => {
    const made = makeTag(keys.sha1binding!.signing);
    const reported = await verify(made);
    expect(reported.ok).toBe(true);
    expect(reported.notes.map((n) => n.code)).toContain('SHA1_KEY_BINDING');
    // The user-id self-signature, the subkey binding and the back-signature are all SHA-1.
    expect(reported.notes.length).toBe(3);
    const rejected = await verify(made, { ...DEFAULT_SIGNATURE_POLICY, sha1KeyBindings: 'reject' });
    expect(rejected.ok).toBe(false);
    expect(codes(rejected)).toEqual(['SHA1_KEY_BINDING']);
    expect(gpgv(rings(), made.payload, made.signature).dgitAccepts).toBe(true);
  });

  it('accepts a signature made before a soft ("key retired") revocation', async () => {
    const made = makeTag(scenario.retired!);
    const r = await verify(made);
    expect(r.reasons).toEqual([]);
    expect(r.ok).toBe(true);
  });
});

interface BadCase {
  name: string;
  make: () => Made;
  want: ReasonCode[];
}

const BAD: BadCase[] = [
  { name: 'unsigned tag', make: () => unsignedTag(), want: ['SIGNATURE_MISSING'] },
  { name: 'SSH-signed tag', make: () => sshTag(), want: ['SIGNATURE_NOT_OPENPGP'] },
  {
    name: 'an inline-signed PGP MESSAGE',
    make: () =>
      makeTag('', {
        signature: (p) => signer.must(['--armor', '-u', `${keys.rsa3072!.signing}!`, '--sign', '-o', '-'], { at: SIGN_AT, input: p }),
      }),
    want: ['SIGNATURE_MALFORMED'],
  },
  {
    name: 'armor CRC-24 mismatch',
    make: () => makeTag(keys.rsa3072!.signing, { tamper: (raw) => corruptCrc(raw) }),
    want: ['SIGNATURE_MALFORMED'],
  },
  {
    name: 'text-mode signature (class 01)',
    make: () => makeTag(keys.rsa3072!.signing, { gpgArgs: ['--textmode'] }),
    want: ['SIGNATURE_CLASS'],
  },
  {
    name: 'text-mode signature, altered after signing',
    make: () =>
      makeTag(keys.rsa3072!.signing, {
        gpgArgs: ['--textmode'],
        tamper: (raw) => Buffer.from(raw.toString('latin1').replace('version=1.0-1', 'version=1.0-2'), 'latin1'),
      }),
    want: ['SIGNATURE_CLASS', 'SIGNATURE_INVALID'],
  },
  {
    name: 'payload altered after signing',
    make: () =>
      makeTag(keys.rsa3072!.signing, {
        tamper: (raw) => Buffer.from(raw.toString('latin1').replace('version=1.0-1', 'version=1.0-2'), 'latin1'),
      }),
    want: ['SIGNATURE_INVALID'],
  },
  { name: 'key in no keyring', make: () => makeTag(keys.outsider!.signing), want: ['KEY_UNKNOWN'] },
  { name: 'key expired before signing', make: () => makeTag(keys.expired!.signing), want: ['KEY_EXPIRED'] },
  { name: 'signing subkey expired before signing', make: () => makeTag(scenario.subexp!), want: ['KEY_EXPIRED'] },
  { name: 'key revoked (no reason) before signing', make: () => makeTag(keys.revoked!.signing), want: ['KEY_REVOKED'] },
  { name: 'key revoked as compromised after signing', make: () => makeTag(scenario.compromised!), want: ['KEY_REVOKED'] },
  {
    name: 'key retired before signing',
    make: () => makeTag(scenario.retired!, { at: '20240501T000000', epoch: 1714521600 }),
    want: ['KEY_REVOKED'],
  },
  {
    name: 'signature older than the key',
    make: () => makeTag(scenario.late!, { at: '20230601T000000', epoch: 1685577600, gpgArgs: ['--ignore-time-conflict'] }),
    want: ['KEY_NOT_YET_VALID'],
  },
  { name: 'key certified only, not for signing', make: () => makeTag(scenario.nosign!), want: ['KEY_NOT_SIGNING'] },
  { name: 'SHA-1 data signature', make: () => makeTag(keys.sha1!.signing, { gpgArgs: ['--digest-algo', 'SHA1'] }), want: ['WEAK_DIGEST'] },
  { name: 'RSA-1024 key', make: () => makeTag(keys.rsa1024!.signing), want: ['WEAK_KEY'] },
  { name: 'DSA key', make: () => makeTag(scenario.dsa!, { gpgArgs: ['--digest-algo', 'SHA256'] }), want: ['WEAK_KEY'] },
  {
    name: 'RSA-1024 key and SHA-1 digest (both reported)',
    make: () => makeTag(keys.rsa1024!.signing, { gpgArgs: ['--digest-algo', 'SHA1'] }),
    want: ['WEAK_DIGEST', 'WEAK_KEY'],
  },
];

function unsignedTag(): Made {
  const payload = repo.payload();
  return { raw: payload, payload, signature: Buffer.alloc(0), id: repo.mktag(payload) };
}

function sshTag(): Made {
  const dir = mkdtempSync(join(tmpdir(), 't2u-auth-ssh-'));
  try {
    const key = join(dir, 'id');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const payload = repo.payload();
    writeFileSync(join(dir, 'payload'), payload);
    const r = spawnSync('ssh-keygen', ['-Y', 'sign', '-f', key, '-n', 'git', join(dir, 'payload')]);
    if (r.status !== 0) throw new Error(`ssh-keygen -Y sign: ${r.stderr.toString()}`);
    const signature = readFileSync(join(dir, 'payload.sig'));
    const raw = signedTag(payload, signature);
    return { raw, payload, signature, id: repo.mktag(raw) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function corruptCrc(raw: Buffer): Buffer {
  // The CRC line is "=XXXX" just before the END line; change one character of it.
  const text = raw.toString('latin1');
  const at = text.lastIndexOf('\n=') + 2;
  const c = text[at] === 'A' ? 'B' : 'A';
  return Buffer.from(text.slice(0, at) + c + text.slice(at + 1), 'latin1');
}

describe('verifyTagSignature: each reason code', () => {
  it.each(BAD.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const made = c.make();
    const r = await verify(made);
    expect(r.ok).toBe(false);
    expect(codes(r)).toEqual([...c.want].sort());
    for (const x of r.reasons) expect(x.layer).toBe('authenticity');
  });
});

/**
 * Where our verdict may differ from `git verify-tag` (gpg): only where the
 * policy is stricter, except for a soft revocation made after the signature,
 * which gpg applies at verification time and RFC 9580 §5.2.3.31 does not.
 */
describe('signatures judged as tag2upload judges them', () => {
  it("two signatures in one block: the first decides, as gpgv's first status line does for dgit", async () => {
    const made = makeTag(keys.rsa3072!.signing, { gpgArgs: ['-u', `${keys.outsider!.signing}!`] });
    const r = await verify(made);
    // gpg writes the packets in its own order: the verdict follows whichever comes first.
    const first = spawnSync('gpg', ['--list-packets'], { input: made.signature, env: { ...process.env, GNUPGHOME: work } })
      .stdout.toString()
      .match(/keyid ([0-9A-F]{16})/)?.[1];
    if (first === keys.rsa3072!.signing.slice(-16)) {
      expect(r.ok, codes(r).join()).toBe(true);
      expect(r.signerFingerprint).toBe(keys.rsa3072!.signing.toLowerCase());
    } else {
      expect(first).toBe(keys.outsider!.signing.slice(-16));
      expect(codes(r)).toEqual(['KEY_UNKNOWN']);
    }
  });
});

describe('verdicts compared with git verify-tag and gpgv', () => {
  const stricter = new Set<ReasonCode>(['WEAK_DIGEST', 'WEAK_KEY', 'SIGNATURE_CLASS', 'SHA1_KEY_BINDING', 'SIGNATURE_MALFORMED']);
  it('agrees with gpg except where the policy is stricter', async () => {
    const rows: string[] = [];
    const cases: Array<{ name: string; made: Made; lenient?: boolean }> = [
      { name: 'rsa3072', made: makeTag(keys.rsa3072!.signing) },
      { name: 'ed25519 subkey', made: makeTag(keys.ed25519!.signing) },
      { name: 'dm', made: makeTag(keys.dm!.signing) },
      { name: 'sha1binding', made: makeTag(keys.sha1binding!.signing) },
      // gpg reports REVKEYSIG for any revocation, whenever made; git verify-tag then fails.
      { name: 'retired after signing', made: makeTag(scenario.retired!), lenient: true },
      // git verify-tag refuses more than one signature; tag2upload acts on gpgv's first (dgit's checksig_keyring).
      {
        name: 'two signatures in one block',
        made: makeTag(keys.rsa3072!.signing, { gpgArgs: ['-u', `${keys.ed25519!.signing}!`] }),
        lenient: true,
      },
      ...BAD.map((c) => ({ name: c.name, made: c.make() })),
    ];
    for (const c of cases) {
      const ours = await verify(c.made);
      const git = repo.verifyTag(c.made.id, verifyHome.home);
      const gpgOk = git.status === 0;
      rows.push(
        `${c.name}: ours=${ours.ok ? 'ok' : codes(ours).join('+')} git=${
          gpgOk
            ? 'ok'
            : git.lines
                .filter((l) => /SIG|PUBKEY|EXP|REV/.test(l))
                .map((l) => l.split(' ')[0])
                .join('+') || git.status
        }`,
      );
      if (c.lenient) {
        expect(ours.ok, c.name).toBe(true);
        expect(gpgOk, c.name).toBe(false);
      } else if (ours.ok) {
        expect(gpgOk, `${c.name}: we accept, gpg rejects`).toBe(true);
      } else if (gpgOk) {
        // We reject what gpg accepts: only for a policy reason.
        expect(
          codes(ours).every((code) => stricter.has(code)),
          `${c.name}: ${codes(ours).join(',')}`,
        ).toBe(true);
      }
    }
    console.log(rows.join('\n'));
  });

  it('accepts nothing dgit (gpgv VALIDSIG of class 00) would refuse, apart from missing keys', async () => {
    for (const c of BAD) {
      const made = c.make();
      if (made.signature.length === 0) continue;
      const ours = await verify(made);
      const g = gpgv(rings(), made.payload, made.signature);
      if (!g.dgitAccepts) expect(ours.ok, c.name).toBe(false);
    }
  });
});
