// check-tag with Debian's own keyrings (the default): what the report says when
// they cannot be obtained (KEYRING_UNAVAILABLE, exit 3) and when a stale cached
// copy stands in for them (a KEYRING_STALE note). Uses the real mirror once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { createServer as httpCreateServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, type CliRun } from '../helpers/cli.js';
import { deadPort } from '../helpers/dead-port.js';
import { unpackFixtureRepos, type FixtureRepos } from '../helpers/fixture-repos.js';
import { realMirrorProblem } from '../helpers/real-mirror.js';

/** `check-tag --json` of the fixture tag with the configuration `cfg` and the cache directory `cache`. */
const checkTag = (cache: string, cfg: string): Promise<CliRun> =>
  runBin(['check-tag', '--repo', fixtures.repos['hello-t2u']!, '--tag', 'debian/1.0-1', '--config', cfg, '--json'], {
    env: { T2U_VERIFY_CACHE: cache },
    timeoutMs: 180_000,
  });

let fixtures: FixtureRepos;
let dir: string;

beforeAll(async () => {
  fixtures = await unpackFixtureRepos(['hello-t2u']);
  dir = mkdtempSync(join(tmpdir(), 't2u-keyrings-cli-'));
});
afterAll(async () => {
  await fixtures?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function config(name: string, debianKeyrings: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  // The mirrors here are loopback servers: the URL policy's test switch lets the verifier reach them.
  writeFileSync(file, JSON.stringify({ debianKeyrings, fetch: { allowHttpLoopback: true } }));
  return file;
}

describe("check-tag with Debian's keyrings", () => {
  it('says unverifiable (KEYRING_UNAVAILABLE) when the mirror is unreachable and nothing is cached', async () => {
    const cfg = config('dead', { mirror: `http://127.0.0.1:${await deadPort()}/debian` });
    const r = await checkTag(join(dir, 'empty-cache'), cfg);
    expect(r.code, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({
      verdict: 'unverifiable',
      reasons: [{ code: 'KEYRING_UNAVAILABLE', layer: 'authenticity' }],
    });
  });

  it('real Debian mirror (deb.debian.org): uses a stale cached copy when the mirror is unreachable, with a KEYRING_STALE note; skipped, with the reason, when the snapshot cannot fill the cache', async ({
    skip,
  }) => {
    const problem = await realMirrorProblem('sid', ['main/binary-all/Packages.xz'], 'http://deb.debian.org/debian');
    if (problem) skip(problem);
    const cache = join(dir, 'cache');
    // Fill the cache from Debian's real mirror (InRelease verified with the host's archive keyring),
    // reached through a loopback relay that is then shut: the same mirror URL becomes unreachable.
    const relay = httpCreateServer((req, res) => {
      http
        .get(`http://deb.debian.org${req.url ?? '/'}`, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        })
        .on('error', () => res.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const mirror = `http://127.0.0.1:${(relay.address() as { port: number }).port}/debian`;
    const real = config('real', { mirror, allowExpiredRelease: true });
    const first = await checkTag(cache, real);
    const firstReport = JSON.parse(first.stdout) as { reasons: { code: string }[] };
    // The fixture key is not a Debian key: Debian's keyring was loaded and consulted.
    expect(firstReport.reasons.map((x) => x.code)).toEqual(['KEY_UNKNOWN']);

    relay.closeAllConnections();
    await new Promise<void>((r) => relay.close(() => r()));
    const stale = config('stale', { mirror, maxAgeHours: 1e-9 });
    const r = await checkTag(cache, stale);
    const report = JSON.parse(r.stdout) as { reasons: { code: string }[]; notes: { code: string }[] };
    expect(report.reasons.map((x) => x.code)).toEqual(['KEY_UNKNOWN']);
    expect(report.notes.map((x) => x.code)).toContain('KEYRING_STALE');
  });
});
