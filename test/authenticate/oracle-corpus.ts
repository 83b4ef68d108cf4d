// A corpus of tag2upload tags made at test time, for judging check-tag against
// tag2upload itself (tag2upload-oracle.ts). Keys and signatures are made by
// real gpg: the host's (bookworm, GnuPG 2.2) for most, trixie's GnuPG 2.4 in
// the sandbox for a v5 (LibrePGP, Ed448) key, and openpgp.js for a v6
// (RFC 9580) key, which no GnuPG in Debian makes. Every tag is an honest
// git-debpush-style tag of its own commit (a debian/changelog naming its
// version) with one thing changed: the key (type, size, expiry, revocation,
// subkey, keyring, dm.txt), the signature (digest, class, notation, blocks,
// packets, armor, trailing data, digest prefix), the bytes of the message,
// or the kind of tag.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { crc24, dearmor } from '../../src/authenticate/openpgp/armor.js';
import { readPackets } from '../../src/authenticate/openpgp/packet-stream.js';
import { runSandboxed } from '../../src/sandbox/launcher.js';
import { builderRootfs } from '../helpers/builder-rootfs.js';
import { Gpg } from './gpg-harness.js';

export const PACKAGE = 'hello-t2u';
const T0 = '20240101T000000';
const SIGN_AT = '20240301T000000';
const SIGN_EPOCH = 1709251200;
const IDENT = 'T2U Tester <t@t2u.test>';

export interface CorpusCase {
  readonly id: string;
  /** The class of the list it stands for. */
  readonly what: string;
  /** The ref name under refs/tags/. */
  readonly tag: string;
  /** The source package tag2upload's manager reads from the tag's `source=` and hands the server. */
  readonly package: string;
}

export interface Corpus {
  /** A bare repository holding every tag. */
  readonly repo: string;
  /**
   * dgit's `a` keyrings, in order. The v6 key has a keyring of its own: trixie's
   * gpgv stops with "Invalid keyring" at a v6 key packet, failing every lookup
   * that reaches it, so in a shared keyring it would also hide the keys after it.
   */
  readonly uploaders: readonly string[];
  readonly dm: string;
  readonly dmTxt: string;
  readonly cases: readonly CorpusCase[];
  close(): void;
}

function git(dir: string, args: string[], input?: Uint8Array | string): string {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'T2U Tester',
    GIT_AUTHOR_EMAIL: 't@t2u.test',
    GIT_COMMITTER_NAME: 'T2U Tester',
    GIT_COMMITTER_EMAIL: 't@t2u.test',
    GIT_AUTHOR_DATE: `${SIGN_EPOCH} +0000`,
    GIT_COMMITTER_DATE: `${SIGN_EPOCH} +0000`,
  };
  return execFileSync('git', ['-C', dir, ...args], { env, input, maxBuffer: 1 << 26 })
    .toString('latin1')
    .trim();
}

/** RFC 9580 §6 armor of `data` as a PGP SIGNATURE, with its CRC-24 line. */
export function armorSignature(data: Uint8Array): string {
  const b64 = Buffer.from(data).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  const c = crc24(data);
  const crc = Buffer.from([(c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff]).toString('base64');
  return `-----BEGIN PGP SIGNATURE-----\n\n${lines.join('\n')}\n=${crc}\n-----END PGP SIGNATURE-----\n`;
}

function unarmor(sig: Buffer): Uint8Array {
  return dearmor(sig.toString('latin1'))!.data;
}

/** The signature with the 16-bit digest prefix (the "left 16 bits") of its one v4 signature packet flipped. */
function wrongPrefix(sig: Buffer): string {
  const data = Buffer.from(unarmor(sig));
  const [p] = readPackets(data);
  const body = p!.body;
  // v4: version, type, pk algo, hash algo, hashed len(2), hashed, unhashed len(2), unhashed, left16.
  let pos = 4;
  pos += 2 + ((body[pos]! << 8) | body[pos + 1]!);
  pos += 2 + ((body[pos]! << 8) | body[pos + 1]!);
  const at = body.byteOffset - data.byteOffset + pos;
  data[at] = data[at]! ^ 0xff;
  data[at + 1] = data[at + 1]! ^ 0x55;
  return armorSignature(data);
}

interface Signed {
  /** The message after the header's blank line; default git-debpush's. */
  message?: string;
  /** Bytes appended after the payload: the signature block (and whatever follows). */
  sign: (payload: Buffer) => Buffer | string | Promise<Buffer | string>;
  /** The payload's bytes before signing (tricky bytes), or after (an altered payload). */
  editPayload?: (payload: Buffer) => Buffer;
  alterAfterSigning?: (payload: Buffer) => Buffer;
  /** The tag's target: the case's commit (default), its tree or a blob. */
  target?: 'commit' | 'tree' | 'blob';
  extraHeader?: string;
  tagger?: string;
  /** The version debian/changelog names at the tagged commit (default the tag's). */
  changelogVersion?: string;
}

/** Makes the corpus; slow (key generation), so made once per test file. */
export async function makeCorpus(): Promise<Corpus> {
  const root = mkdtempSync(join(tmpdir(), 't2u-oracle-corpus-'));
  try {
    return await makeCorpusIn(root);
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
}

async function makeCorpusIn(root: string): Promise<Corpus> {
  chmodSync(root, 0o755);
  const repo = join(root, 'repo.git');
  execFileSync('git', ['init', '-q', '--bare', repo]);
  const gpg = Gpg.create();
  const cases: CorpusCase[] = [];
  const uploaderKeys: string[] = [];
  const dmKeys: string[] = [];
  const extraUploaderBytes: Uint8Array[] = [];
  let v6Ring: Uint8Array = new Uint8Array(0);
  let n = 0;

  const commitFor = (version: string): { commit: string; tree: string; blob: string } => {
    const changelog = `${PACKAGE} (${version}) unstable; urgency=medium\n\n  * Test.\n\n -- ${IDENT}  Fri, 01 Mar 2024 00:00:00 +0000\n`;
    const blob = git(repo, ['hash-object', '-w', '--stdin'], changelog);
    const format = git(repo, ['hash-object', '-w', '--stdin'], '3.0 (quilt)\n');
    const source = git(repo, ['mktree'], `100644 blob ${format}\tformat\n`);
    const debian = git(repo, ['mktree'], `100644 blob ${blob}\tchangelog\n040000 tree ${source}\tsource\n`);
    const tree = git(repo, ['mktree'], `040000 tree ${debian}\tdebian\n`);
    const commit = git(repo, ['commit-tree', tree, '-m', `${version}`]);
    return { commit, tree, blob };
  };

  const add = async (id: string, what: string, s: Signed): Promise<void> => {
    await tick();
    n++;
    const version = `1.0-${n}`;
    const tag = `debian/${version}`;
    const { commit, tree, blob } = commitFor(s.changelogVersion ?? version);
    const target = s.target ?? 'commit';
    const object = target === 'commit' ? commit : target === 'tree' ? tree : blob;
    const message =
      s.message ??
      `${PACKAGE} release ${version} for unstable\n\n[dgit distro=debian split --quilt=linear]\n[dgit please-upload source=${PACKAGE} version=${version}]\n`;
    const headers = `object ${object}\ntype ${target}\ntag ${tag}\ntagger ${s.tagger ?? IDENT} ${SIGN_EPOCH} +0000\n${s.extraHeader ?? ''}`;
    let payload: Buffer = Buffer.from(`${headers}\n${message.replaceAll('VERSION', version)}`, 'latin1');
    if (s.editPayload) payload = s.editPayload(payload);
    const sig = await s.sign(payload);
    const signed = s.alterAfterSigning ? s.alterAfterSigning(payload) : payload;
    const raw = Buffer.concat([signed, typeof sig === 'string' ? Buffer.from(sig, 'latin1') : sig]);
    const id0 = git(repo, ['hash-object', '-t', 'tag', '-w', '--literally', '--stdin'], raw);
    git(repo, ['update-ref', `refs/tags/${tag}`, id0]);
    cases.push({ id, what, tag, package: /\bsource=([0-9a-z][-+.0-9a-z]*)/.exec(message)?.[1] ?? PACKAGE });
  };

  const addLightweight = (id: string): void => {
    n++;
    const version = `1.0-${n}`;
    const { commit } = commitFor(version);
    git(repo, ['update-ref', `refs/tags/debian/${version}`, commit]);
    cases.push({ id, what: 'lightweight tag', tag: `debian/${version}`, package: PACKAGE });
  };

  // gpg runs synchronously: the event loop is given a turn around each call, so that the
  // test runner's messages are answered while the corpus is made.
  const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
  const key = async (uid: string, algo: string, usage = 'sign', ring: 'uploaders' | 'dm' | 'none' = 'uploaders'): Promise<string> => {
    await tick();
    const fpr = gpg.genKey(uid, algo, usage, T0);
    if (ring === 'uploaders') uploaderKeys.push(fpr);
    if (ring === 'dm') dmKeys.push(fpr);
    return fpr;
  };
  const subkey = async (primary: string, algo: string): Promise<string> => {
    await tick();
    gpg.must(['--quick-add-key', primary, algo, 'sign', 'never'], { at: T0 });
    return gpg.fingerprints(primary).at(-1)!;
  };
  const gpgSign =
    (fpr: string, extra: string[] = [], at = SIGN_AT) =>
    (payload: Buffer): Buffer =>
      gpg.detachSign(payload, fpr, at, ['--digest-algo', 'SHA512', ...extra]);
  const REVOKE_MENU = { noReason: 0, compromised: 1, superseded: 2, retired: 3 } as const;
  const revoke = (fpr: string, why: keyof typeof REVOKE_MENU, at: string): void => {
    const cert = gpg.must(['--yes', '--command-fd', '0', '--armor', '--gen-revoke', fpr], {
      at,
      input: `y\n${REVOKE_MENU[why]}\nt2u-verify test\n\ny\n`,
      interactive: true,
    });
    gpg.must(['--import'], { input: cert });
  };
  const revokeSubkey = (primary: string, why: keyof typeof REVOKE_MENU, at: string): void => {
    gpg.must(['--command-fd', '0', '--edit-key', primary], {
      at,
      input: `key 1\nrevkey\ny\n${REVOKE_MENU[why]}\nt2u-verify test\n\ny\nsave\n`,
      interactive: true,
    });
  };

  // Keys: types and sizes.
  const rsa3072 = await key('RSA 3072 <rsa3072@t2u.test>', 'rsa3072');
  const rsa2048 = await key('RSA 2048 <rsa2048@t2u.test>', 'rsa2048');
  const rsa4096 = await key('RSA 4096 <rsa4096@t2u.test>', 'rsa4096');
  const rsa1024 = await key('RSA 1024 <rsa1024@t2u.test>', 'rsa1024');
  const dsa = await key('DSA 2048 <dsa@t2u.test>', 'dsa2048');
  const ed25519 = await key('Ed25519 <ed25519@t2u.test>', 'ed25519');
  const p256 = await key('NIST P-256 <p256@t2u.test>', 'nistp256');
  const p384 = await key('NIST P-384 <p384@t2u.test>', 'nistp384');
  const p521 = await key('NIST P-521 <p521@t2u.test>', 'nistp521');
  const brainpool = await key('Brainpool P-256 <bp256@t2u.test>', 'brainpoolP256r1');
  const edSubPrimary = await key('Ed25519 subkey <edsub@t2u.test>', 'ed25519', 'cert');
  const edSub = await subkey(edSubPrimary, 'ed25519');
  const rsaSubPrimary = await key('RSA subkey <rsasub@t2u.test>', 'rsa3072', 'cert');
  const rsaSub = await subkey(rsaSubPrimary, 'rsa2048');
  const outsider = await key('Outsider <outsider@t2u.test>', 'ed25519', 'sign', 'none');
  // Keys whose public copy changes after they signed.
  const expiredBefore = await key('Expired before <expbefore@t2u.test>', 'ed25519');
  const expiresAfter = await key('Expires after <expafter@t2u.test>', 'ed25519');
  const revBeforeSoft = await key('Superseded before <revbs@t2u.test>', 'ed25519');
  const revBeforeHard = await key('Compromised before <revbh@t2u.test>', 'ed25519');
  const revAfterSoft = await key('Superseded after <revas@t2u.test>', 'ed25519');
  const revAfterRetired = await key('Retired after <revar@t2u.test>', 'ed25519');
  const revAfterHard = await key('Compromised after <revah@t2u.test>', 'ed25519');
  const revAfterNone = await key('Revoked after, no reason <revan@t2u.test>', 'ed25519');
  const noSign = await key('Certify-only later <nosign@t2u.test>', 'ed25519');
  const late = await key('Made later <late@t2u.test>', 'ed25519');
  const subExpPrimary = await key('Subkey expired <subexp@t2u.test>', 'ed25519', 'cert');
  const subExp = await subkey(subExpPrimary, 'ed25519');
  const subRevPrimary = await key('Subkey compromised after <subrev@t2u.test>', 'ed25519', 'cert');
  const subRev = await subkey(subRevPrimary, 'ed25519');
  const subRevBeforePrimary = await key('Subkey retired before <subrevb@t2u.test>', 'ed25519', 'cert');
  const subRevBefore = await subkey(subRevBeforePrimary, 'ed25519');
  // Debian Maintainers (dm.gpg + dm.txt).
  const dmAllowed = await key('DM allowed <dm@t2u.test>', 'ed25519', 'sign', 'dm');
  const dmOther = await key('DM other package <dmother@t2u.test>', 'ed25519', 'sign', 'dm');
  const dmAbsent = await key('DM not in dm.txt <dmabsent@t2u.test>', 'ed25519', 'sign', 'dm');
  const dmSubPrimary = await key('DM subkey <dmsub@t2u.test>', 'ed25519', 'cert', 'dm');
  const dmSub = await subkey(dmSubPrimary, 'ed25519');
  // In both keyrings, in no dm.txt: dgit's keyring order (uploaders first) lets it upload anything.
  const both = await key('In both <both@t2u.test>', 'ed25519');
  dmKeys.push(both);

  // The signing keys, one honest tag each.
  const plain: Array<[string, string, string]> = [
    ['key/rsa3072', 'RSA 3072, SHA-512', rsa3072],
    ['key/rsa2048', 'RSA 2048', rsa2048],
    ['key/rsa4096', 'RSA 4096', rsa4096],
    ['key/rsa1024', 'RSA 1024 (weak)', rsa1024],
    ['key/dsa2048', 'DSA 2048 (weak)', dsa],
    ['key/ed25519', 'Ed25519 primary', ed25519],
    ['key/nistp256', 'ECDSA P-256', p256],
    ['key/nistp384', 'ECDSA P-384', p384],
    ['key/nistp521', 'ECDSA P-521', p521],
    ['key/brainpoolP256r1', 'ECDSA brainpoolP256r1', brainpool],
    ['subkey/ed25519', 'Ed25519 signing subkey', edSub],
    ['subkey/rsa2048', 'RSA 2048 signing subkey of an RSA 3072 key', rsaSub],
    ['key/outsider', 'a key in no keyring', outsider],
    ['expiry/expired-before', 'key expired before the signature', expiredBefore],
    ['expiry/expires-after', 'key expiring after the signature (expired now)', expiresAfter],
    ['revocation/superseded-before', 'key superseded before the signature', revBeforeSoft],
    ['revocation/compromised-before', 'key compromised before the signature', revBeforeHard],
    ['revocation/superseded-after', 'key superseded after the signature', revAfterSoft],
    ['revocation/retired-after', 'key retired after the signature', revAfterRetired],
    ['revocation/compromised-after', 'key hard-revoked ("key compromised") after the signature', revAfterHard],
    ['revocation/no-reason-after', 'key revoked without a reason after the signature', revAfterNone],
    ['flags/certify-only-later', 'key whose newest self-signature (before the signature) drops "sign"', noSign],
    ['subkey/expired-before', 'signing subkey expired before the signature', subExp],
    ['subkey/compromised-after', 'signing subkey hard-revoked after the signature', subRev],
    ['subkey/retired-before', 'signing subkey retired before the signature', subRevBefore],
    ['dm/allowed', 'DM key allowed the package in dm.txt', dmAllowed],
    ['dm/other-package', 'DM key allowed another package only', dmOther],
    ['dm/not-in-dm-txt', 'DM key absent from dm.txt', dmAbsent],
    ['dm/subkey-allowed', 'DM signing subkey, primary allowed in dm.txt', dmSub],
    ['dm/also-uploader', 'key in the uploaders and DM keyrings, not in dm.txt', both],
  ];
  for (const [id, what, fpr] of plain) await add(id, what, { sign: gpgSign(fpr) });
  await add('key/before-creation', 'signature dated before the key was made', {
    sign: gpgSign(late, ['--ignore-time-conflict'], '20231201T000000'),
  });

  // Digests (RSA 3072 and Ed25519).
  for (const d of ['SHA1', 'SHA224', 'SHA256', 'SHA384', 'RIPEMD160', 'MD5']) {
    await add(`digest/${d.toLowerCase()}`, `RSA signature with ${d}`, {
      sign: (p) => gpg.detachSign(p, rsa3072, SIGN_AT, ['--allow-weak-digest-algos', '--digest-algo', d]),
    });
  }
  await add('digest/ed25519-sha1', 'Ed25519 signature with SHA1', {
    sign: (p) => gpg.detachSign(p, ed25519, SIGN_AT, ['--digest-algo', 'SHA1']),
  });
  await add('digest/ed25519-sha256', 'Ed25519 signature with SHA256', {
    sign: (p) => gpg.detachSign(p, ed25519, SIGN_AT, ['--digest-algo', 'SHA256']),
  });

  // The signature packet.
  await add('signature/textmode', 'class 01 (text) signature', { sign: gpgSign(rsa3072, ['--textmode']) });
  await add('signature/critical-notation', 'critical notation gpg does not know', {
    sign: gpgSign(ed25519, ['--sig-notation', '!unknown@t2u.test=1']),
  });
  await add('signature/plain-notation', 'non-critical notation', { sign: gpgSign(ed25519, ['--sig-notation', 'note@t2u.test=1']) });
  await add('signature/expired-signature', 'signature with an expiration time, past now', {
    sign: gpgSign(ed25519, ['--default-sig-expire', '1d']),
  });
  await add('signature/wrong-digest-prefix-rsa', 'valid RSA signature, wrong 16-bit digest prefix', {
    sign: (p) => wrongPrefix(gpgSign(rsa3072)(p)),
  });
  await add('signature/wrong-digest-prefix-ed25519', 'valid Ed25519 signature, wrong 16-bit digest prefix', {
    sign: (p) => wrongPrefix(gpgSign(ed25519)(p)),
  });
  await add('signature/payload-altered', 'payload changed after signing', {
    sign: gpgSign(rsa3072),
    alterAfterSigning: (p) => Buffer.from(p.toString('latin1').replace('for unstable', 'for unstab1e'), 'latin1'),
  });
  await add('signature/unsigned', 'no signature', { sign: () => '' });

  // Blocks, packets and armor.
  const two =
    (first: string, second: string) =>
    (p: Buffer): string =>
      `${gpgSign(first)(p).toString('latin1')}${gpgSign(second)(p).toString('latin1')}`;
  await add('blocks/good-then-outsider', 'two armored blocks: good, then a key in no keyring', { sign: two(rsa3072, outsider) });
  await add('blocks/outsider-then-good', 'two armored blocks: a key in no keyring, then good', { sign: two(outsider, rsa3072) });
  await add('blocks/good-then-good', 'two armored blocks, both good', { sign: two(ed25519, rsa3072) });
  await add('blocks/dm-then-uploader', 'two armored blocks: a DM key for another package, then an uploader', {
    sign: two(dmOther, rsa3072),
  });
  await add('blocks/good-then-garbage', 'two armored blocks: good, then one that is not base64', {
    sign: (p) =>
      `${gpgSign(rsa3072)(p).toString('latin1')}-----BEGIN PGP SIGNATURE-----\n\nnot base64 at all!\n-----END PGP SIGNATURE-----\n`,
  });
  const packets =
    (first: string, second: string) =>
    (p: Buffer): string =>
      armorSignature(Buffer.concat([unarmor(gpgSign(first)(p)), unarmor(gpgSign(second)(p))]));
  await add('packets/good-then-outsider', 'one armor, two signature packets: good, then a key in no keyring', {
    sign: packets(rsa3072, outsider),
  });
  await add('packets/outsider-then-good', 'one armor, two signature packets: a key in no keyring, then good', {
    sign: packets(outsider, rsa3072),
  });
  await add('armor/trailing-text', 'text after END PGP SIGNATURE', {
    sign: (p) => `${gpgSign(rsa3072)(p).toString('latin1')}this line follows the signature\n`,
  });
  await add('armor/trailing-begin', 'a lone BEGIN PGP line after the signature', {
    sign: (p) => `${gpgSign(rsa3072)(p).toString('latin1')}-----BEGIN PGP SIGNATURE-----\n`,
  });
  await add('armor/no-crc', 'armor without its CRC-24 line', {
    sign: (p) =>
      gpgSign(rsa3072)(p)
        .toString('latin1')
        .replace(/\n=[A-Za-z0-9+/]{4}\n/, '\n'),
  });
  await add('armor/bad-crc', 'armor with a wrong CRC-24 line', {
    sign: (p) =>
      gpgSign(rsa3072)(p)
        .toString('latin1')
        .replace(/\n=[A-Za-z0-9+/]{4}\n/, '\n=AAAA\n'),
  });
  await add('armor/comment-header', 'armor with a Comment: header', {
    sign: (p) =>
      gpgSign(rsa3072)(p)
        .toString('latin1')
        .replace('-----BEGIN PGP SIGNATURE-----\n', '-----BEGIN PGP SIGNATURE-----\nComment: t2u-verify test\n'),
  });
  await add('armor/crlf', 'armor lines ending in CR LF', { sign: (p) => gpgSign(rsa3072)(p).toString('latin1').replaceAll('\n', '\r\n') });
  await add('armor/message-type', 'a BEGIN PGP MESSAGE block (a signed message, not a detached signature)', {
    sign: (p) => gpg.must(['--armor', '-u', `${rsa3072}!`, '--sign', '-o', '-'], { at: SIGN_AT, input: p }),
  });

  // The bytes of the message.
  await add('bytes/marker-in-message', 'a -----BEGIN PGP SIGNATURE----- line inside the signed message', {
    message: `${PACKAGE} release VERSION for unstable\n\n-----BEGIN PGP SIGNATURE-----\n[dgit distro=debian split --quilt=linear]\n[dgit please-upload source=${PACKAGE} version=VERSION]\n`,
    sign: gpgSign(rsa3072),
  });
  await add('bytes/cr-in-summary', 'a CR inside the summary line', {
    message: `${PACKAGE} release VERSION\rfor unstable\n\n[dgit distro=debian split --quilt=linear]\n[dgit please-upload source=${PACKAGE} version=VERSION]\n`,
    sign: gpgSign(rsa3072),
  });
  await add('bytes/crlf-lines', 'every message line ending in CR LF', {
    message: `${PACKAGE} release VERSION for unstable\r\n\r\n[dgit distro=debian split --quilt=linear]\r\n[dgit please-upload source=${PACKAGE} version=VERSION]\r\n`,
    sign: gpgSign(rsa3072),
  });
  await add('bytes/nul-in-body', 'a NUL byte in a body line', {
    message: `${PACKAGE} release VERSION for unstable\n\nnul \0 here\n[dgit distro=debian split --quilt=linear]\n[dgit please-upload source=${PACKAGE} version=VERSION]\n`,
    sign: gpgSign(rsa3072),
  });
  await add('bytes/latin1-tagger', 'a tagger name in ISO-8859-1 (not UTF-8)', {
    tagger: 'T\xe9st Tagger <t@t2u.test>',
    sign: gpgSign(rsa3072),
  });
  await add('bytes/non-utf8-body', 'invalid UTF-8 in a body line', {
    message: `${PACKAGE} release VERSION for unstable\n\n\xff\xfe bytes\n[dgit distro=debian split --quilt=linear]\n[dgit please-upload source=${PACKAGE} version=VERSION]\n`,
    sign: gpgSign(rsa3072),
  });
  await add('bytes/encoding-header', 'an encoding header', { extraHeader: 'encoding ISO-8859-1\n', sign: gpgSign(rsa3072) });
  await add('bytes/trailing-space-item', 'a [dgit] line with a trailing space', {
    message: `${PACKAGE} release VERSION for unstable\n\n[dgit distro=debian split --quilt=linear] \n[dgit please-upload source=${PACKAGE} version=VERSION]\n`,
    sign: gpgSign(rsa3072),
  });

  // The message against the tag name and the changelog.
  await add('metadata/tag-header-other-name', 'the signed tag header names another tag than the ref', {
    sign: gpgSign(rsa3072),
    editPayload: (p) => Buffer.from(p.toString('latin1').replace(/^tag debian\/\S+$/m, 'tag debian/9.9-9'), 'latin1'),
  });
  await add('metadata/version-not-changelog', 'version= and the tag name agree, the changelog says another version', {
    message: `${PACKAGE} release VERSION for unstable\n\n[dgit distro=debian split --quilt=linear]\n[dgit please-upload source=${PACKAGE} version=VERSION]\n`,
    sign: gpgSign(rsa3072),
    changelogVersion: '0.9-1',
  });
  await add('metadata/source-other-package', 'source= names another package than the one pushed', {
    message: `other-pkg release VERSION for unstable\n\n[dgit distro=debian split --quilt=linear]\n[dgit please-upload source=other-pkg version=VERSION]\n`,
    sign: gpgSign(rsa3072),
  });

  // The kind of tag.
  addLightweight('kind/lightweight');
  await add('kind/tag-of-tree', 'an annotated tag of a tree', { target: 'tree', sign: gpgSign(rsa3072) });
  await add('kind/tag-of-blob', 'an annotated tag of a blob', { target: 'blob', sign: gpgSign(rsa3072) });
  // SSH and X.509 signatures, as git writes them.
  const sshDir = join(root, 'ssh');
  mkdirSync(sshDir);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ssh@t2u.test', '-f', join(sshDir, 'key')]);
  await add('kind/ssh-signature', 'signed with an SSH key (git gpg.format=ssh)', {
    sign: (p) => {
      writeFileSync(join(sshDir, 'payload'), p);
      execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-n', 'git', '-f', join(sshDir, 'key'), join(sshDir, 'payload')]);
      return readFileSync(join(sshDir, 'payload.sig'));
    },
  });
  await add('kind/x509-signature', 'an X.509 (CMS) signature block (git gpg.format=x509)', {
    sign: (p) =>
      `-----BEGIN SIGNED MESSAGE-----\n${Buffer.from(p)
        .toString('base64')
        .match(/.{1,64}/g)!
        .join('\n')}\n-----END SIGNED MESSAGE-----\n`,
  });

  // v5 (LibrePGP) key: GnuPG 2.4 makes one for Ed448.
  const v5 = await v5KeyAndSigner(root);
  extraUploaderBytes.push(v5.publicKey);
  await add('version/v5-key', 'v5 (LibrePGP) Ed448 key, made by GnuPG 2.4', { sign: (p) => v5.sign(p) });
  // v6 (RFC 9580) key: openpgp.js.
  const v6 = await openpgp.generateKey({
    type: 'curve25519',
    userIDs: [{ name: 'V6', email: 'v6@t2u.test' }],
    format: 'object',
    date: new Date('2024-01-01T00:00:00Z'),
    config: { v6Keys: true },
  });
  v6Ring = v6.publicKey.write();
  await add('version/v6-key', 'v6 (RFC 9580) Ed25519 key, made by openpgp.js', {
    sign: async (p) =>
      (await openpgp.sign({
        message: await openpgp.createMessage({ binary: p }),
        signingKeys: v6.privateKey,
        detached: true,
        format: 'armored',
        date: new Date('2024-03-01T00:00:00Z'),
      })) as string,
  });

  // After signing: expiry, revocation and usage changes, dated as each case says.
  gpg.must(['--quick-set-expire', expiredBefore, '20240102T000000'], { at: '20240101T120000' });
  gpg.must(['--quick-set-expire', expiresAfter, '20250101T000000'], { at: '20240101T120000' });
  await tick();
  revoke(revBeforeSoft, 'superseded', '20240201T000000');
  revoke(revBeforeHard, 'compromised', '20240201T000000');
  revoke(revAfterSoft, 'superseded', '20240401T000000');
  revoke(revAfterRetired, 'retired', '20240401T000000');
  revoke(revAfterHard, 'compromised', '20240401T000000');
  revoke(revAfterNone, 'noReason', '20240401T000000');
  await tick();
  gpg.must(['--expert', '--command-fd', '0', '--edit-key', noSign], {
    at: '20240201T000000',
    input: 'change-usage\nS\nQ\nsave\n',
    interactive: true,
  });
  gpg.must(['--quick-set-expire', subExpPrimary, '20240102T000000', subExp], { at: '20240101T120000' });
  revokeSubkey(subRevPrimary, 'compromised', '20240401T000000');
  revokeSubkey(subRevBeforePrimary, 'retired', '20240201T000000');

  const uploaders = join(root, 'uploaders.gpg');
  const uploadersV6 = join(root, 'uploaders-v6.gpg');
  writeFileSync(uploadersV6, v6Ring);
  const dm = join(root, 'dm.gpg');
  const dmTxt = join(root, 'dm.txt');
  writeFileSync(uploaders, Buffer.concat([gpg.must(['--export', ...uploaderKeys]), ...extraUploaderBytes]));
  writeFileSync(dm, gpg.must(['--export', ...dmKeys]));
  const uid = (fpr: string): string =>
    gpg
      .must(['--with-colons', '--list-keys', fpr])
      .toString()
      .split('\n')
      .find((l) => l.startsWith('uid:'))!
      .split(':')[9]!;
  writeFileSync(
    dmTxt,
    [
      `Fingerprint: ${dmAllowed}\nUid: ${uid(dmAllowed)}\nAllow: ${PACKAGE} (${rsa3072}),\n another-pkg (${rsa3072})\n`,
      `Fingerprint: ${dmOther}\nUid: ${uid(dmOther)}\nAllow: another-pkg (${rsa3072})\n`,
      `Fingerprint: ${dmSubPrimary}\nUid: ${uid(dmSubPrimary)}\nAllow: ${PACKAGE} (${rsa3072})\n`,
    ].join('\n'),
  );
  gpg.close();
  for (const p of [uploaders, uploadersV6, dm, dmTxt]) chmodSync(p, 0o644);
  void dmSub;
  return { repo, uploaders: [uploaders, uploadersV6], dm, dmTxt, cases, close: () => rmSync(root, { recursive: true, force: true }) };
}

/** A v5 Ed448 key made by trixie's GnuPG 2.4 in the sandbox, and a signer that uses it there. */
async function v5KeyAndSigner(root: string): Promise<{ publicKey: Uint8Array; sign: (payload: Buffer) => Promise<string> }> {
  const rootfs = await builderRootfs('trixie');
  const dir = join(root, 'v5');
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  const params =
    '%no-protection\nKey-Type: eddsa\nKey-Curve: Ed448\nKey-Usage: sign\nName-Real: V5 Ed448\nName-Email: v5@t2u.test\nExpire-Date: 0\n%commit\n';
  writeFileSync(join(dir, 'params'), params);
  const r = await runSandboxed({
    argv: [
      'sh',
      '-c',
      'mkdir -m 700 /tmp/home && gpg --homedir /tmp/home --batch --faked-system-time 20240101T000000! --gen-key /work/params && gpg --homedir /tmp/home --export >/work/key.gpg && gpg --homedir /tmp/home --batch --export-secret-keys >/work/secret.gpg',
    ],
    rootfs,
    workDir: dir,
    keep: ['key.gpg', 'secret.gpg'],
    timeoutMs: 120_000,
  });
  if (r.exitCode !== 0) throw new Error(`trixie gpg could not make a v5 key: ${r.stderr.toString()}`);
  const publicKey = readFileSync(join(dir, 'key.gpg'));
  const sign = async (payload: Buffer): Promise<string> => {
    writeFileSync(join(dir, 'payload'), payload);
    const s = await runSandboxed({
      argv: [
        'sh',
        '-c',
        'mkdir -m 700 /tmp/home && gpg --homedir /tmp/home --batch --quiet --import /work/secret.gpg 2>/dev/null && gpg --homedir /tmp/home --batch --faked-system-time 20240301T000000! --armor --detach-sign -o - /work/payload',
      ],
      rootfs,
      workDir: dir,
      timeoutMs: 120_000,
    });
    if (s.exitCode !== 0) throw new Error(`trixie gpg could not sign with the v5 key: ${s.stderr.toString()}`);
    return s.stdout.toString('latin1');
  };
  return { publicKey, sign };
}
