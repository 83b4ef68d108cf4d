// `t2u-verify serve` and `t2u-verify worker` as commands: a bad flag or file
// fails at start-up with the field and the reason (exit 2); serve answers on
// its address, verifies with the verification it is given, and stops
// gracefully (exit 0); worker runs jobs queued by another process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runMain } from '../helpers/cli.js';
import { runServe, runServeCommand } from '../helpers/serve-command.js';
import { tagPushBody } from '../server/intake-helpers.js';
import { TOKEN, hookHeaders, verifyReport, waitFor } from '../server/service-helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 't2u-serve-cli-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('start-up errors: exit 2 with the field and the reason', () => {
  const base = () => ['serve', '--data-dir', dir, '--webhook-secret', TOKEN];
  it.each([
    [['--workers', 'two'], /workers: Expected number/],
    [['--workers', '100'], /workers: Number must be less than or equal to 64/],
    [['--listen', 'localhost'], /listen: must be HOST:PORT/],
    [['--database', 'mysql://db/x'], /database: must be a postgres:\/\//],
    [['--mirror', 'not a url'], /mirror: Invalid url/],
    [['--alert-url', 'ftp://x/y'], /alerts\.urls\.0: must be an http/],
    [['--api-token', 'short'], /apiTokens\.0: must be at least 16 characters/],
    [['--log-level', 'loud'], /--log-level: must be one of/],
    [['--watch-mirror', 'not a url'], /watch\.mirror: Invalid url/],
    [['--watch-interval', 'soon'], /watch\.intervalSeconds: Expected number/],
    [['--watch-mirror', 'https://deb.debian.org/debian', '--watch-suite', '../etc'], /watch\.suites\.0: must be a suite name/],
  ])('%s', async (extra, message) => {
    const r = await runMain(...base(), ...extra);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('refuses to serve webhooks without a secret, and reads the config file with its name in the message', async () => {
    const none = await runMain('serve', '--data-dir', dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/gitlab: set gitlab\.tokens or gitlab\.signingSecrets/);
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ gitlab: { tokens: [TOKEN] }, workers: -1, colour: 'red' }));
    const bad = await runMain('serve', '--config', file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${file}: workers: Number must be greater than or equal to 0`);
    expect(bad.stderr).toContain(`${file}: (top level): Unrecognized key(s) in object: 'colour'`);
    writeFileSync(file, '{ not json');
    expect((await runMain('serve', '--config', file)).stderr).toMatch(/not valid JSON/);
  });

  it('lets a worker start without webhook secrets', async () => {
    const r = await runMain('worker', '--data-dir', dir, '--workers', 'x');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/workers: Expected number/);
    expect(r.stderr).not.toMatch(/gitlab/);
  });
});

describe('running', () => {
  it('serve: listens, verifies, stops gracefully with exit 0', async () => {
    const serve = runServe(['--data-dir', dir, '--workers', '2'], {
      makeVerifyJob: (config) => {
        expect(config.workers).toBe(2);
        return (req) => Promise.resolve(verifyReport(req));
      },
    });
    const h = await serve.started();
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const res = await fetch(`${h.url}/hooks/gitlab`, {
      method: 'POST',
      headers: hookHeaders(),
      body: tagPushBody({ after: 'a'.repeat(40) }),
    });
    const { id } = (await res.json()) as { id: string };
    await waitFor(async () => ((await h.store.get(id))?.status === 'done' ? true : undefined), 'the verdict');
    expect(await serve.stop()).toBe(0);
    await expect(fetch(`${h.url}/healthz`)).rejects.toThrow();
  });

  it('worker: runs jobs another process queued in the shared store', async () => {
    const seed = new SqliteStore({ dataDir: dir });
    const { id } = await seed.enqueue({
      repo: 'https://salsa.debian.org/x/y.git',
      tag: 'debian/3-1',
      tagObject: 'c'.repeat(40),
      intake: 'api',
    });
    const worker = runServeCommand(['worker', '--data-dir', dir], {
      makeVerifyJob: () => (req) => Promise.resolve(verifyReport(req, ['RECONSTRUCTION_MISMATCH'])),
    });
    await waitFor(async () => ((await seed.get(id))?.status === 'done' ? true : undefined), 'the worker to finish the job');
    expect((await seed.get(id))?.verdict).toBe('mismatch');
    expect(await worker.stop()).toBe(0);
    await seed.close();
  });
});
