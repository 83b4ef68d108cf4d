// Benchmark of the authenticate stage: loading Debian's full keyrings (time
// and memory), framed from scratch and mapped through the layout cache (as a
// verification loads them once the cache knows them), and verifying a tag
// against them, compared with gpgv on the same tag and keyrings in the same
// run. Goals: load ≤ 1 s, ≤ 1 ms per tag.
//
//   npx tsx bench/authenticate.bench.ts
//
// The keyrings come from the cache (downloaded and verified from
// deb.debian.org when missing), or from T2U_BENCH_KEYRING_DIR (a directory
// holding debian-keyring.gpg, e.g. from `apt-get download debian-keyring`).
// Tags are signed by the fixture keys with the real gpg; the fixture keyrings
// are appended to Debian's, so each lookup searches the whole index.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { obtainDebianKeyrings } from '../src/authenticate/debian-keyrings.js';
import { loadKeyrings, type KeyringSource } from '../src/authenticate/openpgp/keyring-index.js';
import { DEFAULT_SIGNATURE_POLICY, verifyTagSignature } from '../src/authenticate/openpgp/verify-tag-signature.js';
import { parseTagObject } from '../src/gitobj/tag-object.js';
import { DM_RING, fixtureKeys, Gpg, KEYS_DIR, signedTag, TagRepo, UPLOADERS } from '../test/authenticate/gpg-harness.js';

async function debianKeyrings(): Promise<KeyringSource[]> {
  const dir = process.env.T2U_BENCH_KEYRING_DIR;
  if (dir) {
    return (['debian-keyring', 'debian-maintainers', 'debian-nonupload'] as const)
      .map((b, i) => ({ path: join(dir, `${b}.gpg`), role: (['uploader', 'dm', 'nonupload'] as const)[i]! }))
      .filter((k) => existsSync(k.path));
  }
  const got = await obtainDebianKeyrings({ allowExpiredRelease: true });
  for (const w of got.warnings) console.error(`warning: ${w}`);
  console.log(`debian-keyring ${got.version} (${got.fromCache ? 'cached' : 'downloaded'} ${got.fetchedAt.toISOString()})`);
  return [...got.keyrings];
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(0)} MB`;
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function main(): Promise<void> {
  const debian = await debianKeyrings();
  const sources: KeyringSource[] = [...debian, { path: UPLOADERS, role: 'uploader' }, { path: DM_RING, role: 'dm' }];

  // Memory held by the index: heap plus buffers, after a full GC on both sides
  // (run as `node --expose-gc --import tsx bench/authenticate.bench.ts`; without
  // --expose-gc the figure includes garbage and is marked so).
  const gc = (globalThis as { gc?: () => void }).gc;
  const held = () => {
    gc?.();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const heldBefore = held();
  const t0 = performance.now();
  const index = await loadKeyrings(sources);
  const loadMs = performance.now() - t0;
  const heldAfter = held();
  const keys = index.keyrings.reduce((a, k) => a + k.keys, 0);
  const delta = heldAfter - heldBefore;
  console.log(
    `load: ${loadMs.toFixed(0)} ms for ${keys} keys (${index.skipped.length} skipped); memory held by the index ${delta < 0 ? '-' : '+'}${mb(Math.abs(delta))}${gc ? '' : ' (no --expose-gc: includes garbage)'}; RSS ${mb(process.memoryUsage().rss)}`,
  );
  for (const k of index.keyrings) console.log(`  ${k.path}: ${k.keys} keys, ${k.skipped} skipped`);

  // Through the layout cache: the first load frames and records, the later ones map (keys read when found).
  const cacheDir = mkdtempSync(join(tmpdir(), 't2u-auth-bench-cache-'));
  const recordMs = await timed(() => loadKeyrings(sources, { cacheDir }));
  const mappedHeld0 = held();
  const mappedMs: number[] = [];
  let mapped = await loadKeyrings(sources, { cacheDir });
  for (let i = 0; i < 9; i++) mappedMs.push(await timed(async () => (mapped = await loadKeyrings(sources, { cacheDir }))));
  const mappedDelta = held() - mappedHeld0;
  console.log(
    `load through the layout cache: first ${recordMs.toFixed(0)} ms (framed and recorded), then ${median(mappedMs).toFixed(1)} ms (median of 9: ${mapped.keyrings.map((k) => k.loaded).join(', ')}); memory held by one such index ${mappedDelta < 0 ? '-' : '+'}${mb(Math.abs(mappedDelta))}`,
  );

  // Tags signed by real gpg with three fixture key types.
  const keysJson = fixtureKeys();
  const gpg = Gpg.create();
  const repo = TagRepo.create();
  const work = mkdtempSync(join(tmpdir(), 't2u-auth-bench-'));
  try {
    const names = ['rsa3072', 'ed25519', 'dm'];
    for (const n of names) gpg.importFile(join(KEYS_DIR, `${n}.sec.asc`));
    const tags = names.map((n) => {
      const payload = repo.payload();
      const sig = gpg.detachSign(payload, keysJson[n]!.signing, '20240301T000000', ['--digest-algo', 'SHA512']);
      return { name: n, payload, sig, tag: parseTagObject(signedTag(payload, sig)) };
    });
    const policy = { ...DEFAULT_SIGNATURE_POLICY, rejectDigests: [...DEFAULT_SIGNATURE_POLICY.rejectDigests] };
    const gpgvRings = sources.flatMap((s) => ['--keyring', s.path]);
    console.log('per tag (ours: first verification parses the key; warm: median of 200 more; gpgv: median of 5 runs):');
    for (const t of tags) {
      const c0 = performance.now();
      const first = await verifyTagSignature(t.tag, index, policy);
      const coldMs = performance.now() - c0;
      if (!first.ok) throw new Error(`${t.name}: ${first.reasons.map((r) => r.code).join(',')}`);
      const m0 = performance.now();
      const viaMap = await verifyTagSignature(t.tag, mapped, policy);
      const mappedColdMs = performance.now() - m0;
      if (JSON.stringify(viaMap) !== JSON.stringify(first)) throw new Error(`${t.name}: the mapped index answers otherwise`);
      const warm: number[] = [];
      for (let i = 0; i < 200; i++) {
        const w0 = performance.now();
        await verifyTagSignature(t.tag, index, policy);
        warm.push(performance.now() - w0);
      }
      writeFileSync(join(work, 'payload'), t.payload);
      writeFileSync(join(work, 'sig.asc'), t.sig);
      const gpgvMs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const g0 = performance.now();
        const r = spawnSync('gpgv', [...gpgvRings, join(work, 'sig.asc'), join(work, 'payload')], {
          env: { ...process.env, GNUPGHOME: work },
        });
        gpgvMs.push(performance.now() - g0);
        if (r.status !== 0) throw new Error(`gpgv failed on ${t.name}: ${r.stderr.toString()}`);
      }
      const g = median(gpgvMs);
      const w = median(warm);
      console.log(
        `  ${t.name.padEnd(8)} ours cold ${coldMs.toFixed(2)} ms (mapped ${mappedColdMs.toFixed(2)} ms), warm ${w.toFixed(3)} ms; gpgv ${g.toFixed(1)} ms; gpgv/ours(warm) = ${(g / w).toFixed(0)}x, gpgv/ours(cold) = ${(g / coldMs).toFixed(0)}x`,
      );
    }
    console.log(`RSS after verification: ${mb(process.memoryUsage().rss)}`);
  } finally {
    gpg.close();
    repo.close();
    rmSync(work, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

await main();
