// The real Debian mirror as these tests meet it: a snapshot, which may be past
// its InRelease's Valid-Until or caught mid-update (an index file that is not
// the one its InRelease lists). Neither is an attack, and neither is what a
// real-mirror test is about: such a test first asks whether the mirror can
// show its behaviour at all, and skips with the answer when it cannot.
// Staleness alone is no reason to skip: those tests pass allowExpiredRelease.
// The check reads the mirror directly (no code of the verifier's), checking
// only that each index file a test needs is the one the InRelease lists.
import { createHash } from 'node:crypto';

export const REAL_MIRROR = 'https://deb.debian.org/debian';

/** Time allowed to the mirror per request, in ms: a network that does not answer is a reason to skip. */
const REQUEST_MS = 60_000;

async function get(url: string): Promise<Buffer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_MS) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/**
 * Why the mirror cannot show a test's behaviour for `suite`, or undefined
 * when it can: unreachable, or an index file (`main/binary-all/Packages.xz`,
 * `main/source/Sources.xz`, …) that is not the one its InRelease lists.
 */
export async function realMirrorProblem(
  suite: string,
  indexFiles: readonly string[],
  mirror: string = REAL_MIRROR,
): Promise<string | undefined> {
  let inRelease: string;
  try {
    inRelease = (await get(`${mirror}/dists/${suite}/InRelease`)).toString('utf8');
  } catch (e) {
    return `the real mirror cannot be reached: ${(e as Error).message}`;
  }
  const validUntil = /^Valid-Until: (.+)$/m.exec(inRelease)?.[1];
  const stale =
    validUntil !== undefined && Date.parse(validUntil) < Date.now() ? ` (its InRelease is also past Valid-Until ${validUntil})` : '';
  const sha256Section = /^SHA256:\n((?: .*\n)*)/m.exec(inRelease)?.[1] ?? '';
  for (const path of indexFiles) {
    const listed = sha256Section
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find((w) => w[2] === path);
    if (!listed) return `${mirror}/dists/${suite}/InRelease lists no ${path}${stale}`;
    let data: Buffer;
    try {
      data = await get(`${mirror}/dists/${suite}/${path}`);
    } catch (e) {
      return `the real mirror cannot serve ${path}: ${(e as Error).message}${stale}`;
    }
    const hash = createHash('sha256').update(data).digest('hex');
    if (hash !== listed[0] || String(data.length) !== listed[1]) {
      return `the real mirror's snapshot of ${suite} is inconsistent: dists/${suite}/${path} is ${data.length} bytes sha256 ${hash.slice(0, 16)}…, its InRelease lists ${listed[1]} bytes ${listed[0]!.slice(0, 16)}… (a mirror caught mid-update, not an attack)${stale}`;
    }
  }
  return undefined;
}
