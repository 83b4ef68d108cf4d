// The keyring index against gpg's own listing of the same keyrings: every
// primary key and subkey is found by fingerprint and key id, a damaged key
// costs only itself, and Debian's full keyring loads within the goal.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyringIndex, loadKeyrings } from '../../../src/authenticate/openpgp/keyring-index.js';
import { UsageError } from '../../../src/report/usage-error.js';
import { DM_RING, fixtureKeys, KEYS_DIR, UPLOADERS } from '../gpg-harness.js';

/** gpg's view of a keyring: primary fingerprint → [primary, ...subkeys] fingerprints (lower case). */
function gpgListing(file: string): Map<string, string[]> {
  const home = mkdtempSync(join(tmpdir(), 't2u-auth-list-'));
  try {
    const r = spawnSync('gpg', ['--batch', '--with-colons', '--show-keys', file], {
      env: { ...process.env, GNUPGHOME: home },
      maxBuffer: 1 << 28,
    });
    const out = new Map<string, string[]>();
    let current: string[] = [];
    let pending: string | undefined;
    for (const line of r.stdout.toString().split('\n')) {
      const f = line.split(':');
      if (f[0] === 'pub' || f[0] === 'sub') pending = f[0];
      else if (f[0] === 'fpr' && pending) {
        const fpr = f[9]!.toLowerCase();
        if (pending === 'pub') {
          current = [fpr];
          out.set(fpr, current);
        } else {
          current.push(fpr);
        }
        pending = undefined;
      }
    }
    return out;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 't2u-auth-index-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('KeyringIndex on the fixture keyrings', () => {
  it('indexes every primary key and subkey that gpg lists, by fingerprint and key id', async () => {
    const index = await loadKeyrings([
      { path: UPLOADERS, role: 'uploader' },
      { path: DM_RING, role: 'dm' },
    ]);
    const listed = new Map([...gpgListing(UPLOADERS), ...gpgListing(DM_RING)]);
    expect(index.keys.length).toBe(listed.size);
    for (const [primary, all] of listed) {
      for (const fpr of all) {
        const byFpr = await index.findByFingerprint(fpr.toUpperCase());
        expect(byFpr.length, fpr).toBe(1);
        expect(byFpr[0]!.key.primaryFingerprint).toBe(primary);
        expect(byFpr[0]!.isPrimary).toBe(fpr === primary);
        expect((await index.findByKeyId(fpr.slice(-16)))[0]!.fingerprint).toBe(fpr);
      }
    }
    const keys = fixtureKeys();
    const dm = (await index.findByFingerprint(keys.dm!.signing))[0]!;
    expect(dm.key.role).toBe('dm');
    expect(dm.key.keyring).toBe(DM_RING);
    expect(dm.key.primaryFingerprint).toBe(keys.dm!.primary.toLowerCase());
    expect(await index.findByFingerprint(keys.outsider!.primary)).toEqual([]);
    expect(index.skipped).toEqual([]);
  });

  it('reads armored keyrings (several armored blocks in one file)', async () => {
    const file = join(work, 'armored.asc');
    writeFileSync(file, Buffer.concat(['rsa3072', 'ed25519'].map((n) => readFileSync(join(KEYS_DIR, `${n}.pub.asc`)))));
    const index = await loadKeyrings([{ path: file, role: 'uploader' }]);
    const keys = fixtureKeys();
    expect(index.keys.length).toBe(2);
    expect((await index.findByFingerprint(keys.ed25519!.signing))[0]!.key.primaryFingerprint).toBe(keys.ed25519!.primary.toLowerCase());
  });

  it('keeps keyring order: the same key in two keyrings is found in both, first keyring first', async () => {
    const index = await loadKeyrings([
      { path: DM_RING, role: 'dm' },
      { path: DM_RING, role: 'nonupload' },
    ]);
    const m = await index.findByFingerprint(fixtureKeys().dm!.primary);
    expect(m.map((x) => x.key.role)).toEqual(['dm', 'nonupload']);
  });

  it('skips a damaged key and still loads the keys around it', async () => {
    const ring = readFileSync(UPLOADERS);
    const index0 = new KeyringIndex();
    index0.addKeyring(ring, { path: 'whole', role: 'uploader' });
    const packets = await Promise.all(index0.keys.map((k) => index0.packetsOf(k)));
    const offsets = packets.map((p) => p.byteOffset - ring.byteOffset);
    // Overwrite the second key's first user ID packet header with an impossible length.
    const second = index0.keys[1]!;
    const damaged = Buffer.from(ring);
    const uidAt = offsets[1]! + packetLength(packets[1]!);
    damaged[uidAt] = 0xff; // new-format tag 63 …
    damaged[uidAt + 1] = 0xff; // … with a five-octet length
    damaged.writeUInt32BE(0x7fffffff, uidAt + 2);
    const index = new KeyringIndex();
    const summary = index.addKeyring(damaged, { path: 'damaged', role: 'uploader' });
    expect(summary.keys).toBe(index0.keys.length - 1);
    expect(summary.skipped).toBe(1);
    expect(index.skipped[0]!.why).toMatch(/unreadable packet/);
    expect(await index.findByFingerprint(second.primaryFingerprint)).toEqual([]);
    for (const k of index0.keys.filter((k) => k !== second)) expect((await index.findByFingerprint(k.primaryFingerprint)).length).toBe(1);
  });

  it('skips garbage between keys and a secret key, reporting both', async () => {
    const pub = readFileSync(UPLOADERS);
    const secret = spawnSync('gpg', ['--dearmor'], { input: readFileSync(join(KEYS_DIR, 'outsider.sec.asc')) }).stdout;
    const ring = Buffer.concat([pub.subarray(0, 0), Buffer.from('not a packet at all'), pub, secret, readFileSync(DM_RING)]);
    const index = new KeyringIndex();
    const summary = index.addKeyring(ring, { path: 'mixed', role: 'uploader' });
    expect(summary.keys).toBe(gpgListing(UPLOADERS).size + 1);
    expect(index.skipped.map((s) => s.why).join('\n')).toMatch(/unreadable packet[\s\S]*secret key packet/);
    expect((await index.findByFingerprint(fixtureKeys().dm!.signing)).length).toBe(1);
  });

  it('reads a keyring from a pipe to its end (a shell process substitution, --keyring <(...))', async () => {
    const fifo = join(work, 'keyring.fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', UPLOADERS, fifo]);
    const written = new Promise((resolve) => writer.on('exit', resolve));
    const index = await loadKeyrings([{ path: fifo, role: 'uploader' }], { cacheDir: join(work, 'fifo-cache'), minCachedBytes: 0 });
    expect(await written).toBe(0);
    expect(index.keys.length).toBe(gpgListing(UPLOADERS).size);
    expect(index.keyrings.map((k) => k.loaded)).toEqual(['framed']);
  });

  it('fails clearly on a missing keyring file', async () => {
    await expect(loadKeyrings([{ path: join(work, 'nope.gpg'), role: 'uploader' }])).rejects.toBeInstanceOf(UsageError);
  });
});

/** Length of a key's first packet (header and body), from its header. */
function packetLength(bytes: Uint8Array): number {
  const b = bytes[0]!;
  if ((b & 0x40) === 0) {
    const lt = b & 3;
    const n = 1 << lt;
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[1 + i]!;
    return 1 + n + len;
  }
  const l0 = bytes[1]!;
  if (l0 < 192) return 2 + l0;
  if (l0 < 224) return 3 + ((l0 - 192) << 8) + bytes[2]! + 192;
  return 6 + ((bytes[2]! << 24) | (bytes[3]! << 16) | (bytes[4]! << 8) | bytes[5]!);
}

const HOST_KEYRING = '/usr/share/keyrings/debian-keyring.gpg';

describe.runIf(existsSync(HOST_KEYRING))('KeyringIndex on a full Debian keyring', () => {
  it('loads it quickly and agrees with gpg on every fingerprint', async () => {
    const t0 = performance.now();
    const index = await loadKeyrings([{ path: HOST_KEYRING, role: 'uploader' }]);
    const ms = performance.now() - t0;
    // The goal is 1 s; the bound leaves room for a loaded test machine.
    expect(ms).toBeLessThan(3000);
    expect(index.skipped).toEqual([]);
    const listed = gpgListing(HOST_KEYRING);
    expect(index.keys.length).toBe(listed.size);
    let subkeys = 0;
    for (const [primary, all] of listed) {
      for (const fpr of all) {
        expect(
          (await index.findByFingerprint(fpr)).some((m) => m.key.primaryFingerprint === primary),
          fpr,
        ).toBe(true);
        if (fpr !== primary) subkeys++;
      }
    }
    expect(subkeys).toBeGreaterThan(500);
    // Every key's packets parse for verification.
    expect(await index.parseAll()).toEqual([]);
  }, 120_000);
});
