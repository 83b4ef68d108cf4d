// `t2u-verify serve --watch-mirror URL`: the archive watcher runs inside the
// service. A loopback mirror (test/server/archive-fixture.ts: real
// tag2upload .dsc files, InRelease clearsigned by a test archive key) is
// polled by the real command; every upload with Git-Tag-Info becomes an
// archive job in the service's store, and the watcher stops with the service.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerServe } from '../../src/cli/serve-command.js';
import type { ServiceHandle } from '../../src/server/service.js';
import { ArchiveFixture, archiveDscs } from './archive-fixture.js';
import { TOKEN, verifyReport, waitFor } from './service-helpers.js';

let f: ArchiveFixture;
let dir: string;
beforeAll(async () => {
  f = await ArchiveFixture.start();
  f.publish(
    'unstable',
    archiveDscs().map((dscPath) => ({ dscPath })),
  );
  dir = mkdtempSync(join(tmpdir(), 't2u-serve-watch-'));
}, 60_000);
afterAll(async () => {
  await f?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('serve --watch-mirror', () => {
  it('polls the mirror from inside the service, queues every tag2upload upload once, and stops with it', async () => {
    const lines: Record<string, unknown>[] = [];
    const logDestination = new Writable({
      write: (chunk: Buffer, _e, cb) => {
        for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    // What has no flag comes from the file: the test archive's keyring, and no tag copies (no git servers here).
    const config = join(dir, 'service.json');
    writeFileSync(config, JSON.stringify({ watch: { archiveKeyring: f.archiveRing, checkTagCopies: false } }));
    const controller = new AbortController();
    let handle: ServiceHandle | undefined;
    let code = -1;
    const program = new Command().exitOverride();
    registerServe(program, (c) => (code = c), {
      makeVerifyJob: () => (req) => Promise.resolve(verifyReport(req)),
      signal: controller.signal,
      onStarted: (h) => (handle = h),
      logDestination,
    });
    const done = program.parseAsync([
      'node',
      't2u-verify',
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      join(dir, 'data'),
      '--webhook-secret',
      TOKEN,
      '--workers',
      '0',
      '--config',
      config,
      '--allow-http',
      '--watch-mirror',
      f.mirror.url,
      '--watch-suite',
      'unstable',
      '--watch-interval',
      '3600',
    ]);
    const h = await waitFor(() => handle, 'the service to start');
    const expected = archiveDscs().length;
    const jobs = await waitFor(async () => {
      const list = await h.store.list({ source: 'archive' });
      return list.length >= expected ? list : undefined;
    }, 'the watcher to queue the archive uploads');
    expect(jobs).toHaveLength(expected);
    for (const j of jobs) {
      expect(j.upload?.startsWith(`${f.mirror.url}/pool/main/`)).toBe(true);
      expect(j.repo).toMatch(/^https:\/\/git\.dgit\.debian\.org\//);
      expect(j.tag).toMatch(/^debian\//);
    }
    expect(lines.find((l) => l['msg'] === 'service started')).toMatchObject({ watching: f.mirror.url });
    controller.abort();
    await done;
    expect(code).toBe(0);
    // The watcher stopped before the store closed, and said so.
    expect(lines.some((l) => l['watcher'] === true && l['msg'] === 'archive watcher stopped')).toBe(true);
    expect(lines.filter((l) => l['level'] === 50)).toEqual([]);
  });

  it('without --watch-mirror there is no watcher', async () => {
    const controller = new AbortController();
    let handle: ServiceHandle | undefined;
    const lines: string[] = [];
    const program = new Command().exitOverride();
    registerServe(program, () => undefined, {
      makeVerifyJob: () => (req) => Promise.resolve(verifyReport(req)),
      signal: controller.signal,
      onStarted: (h) => (handle = h),
      logDestination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString('utf8')), cb()) }),
    });
    const done = program.parseAsync([
      'node',
      't2u-verify',
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      join(dir, 'plain'),
      '--webhook-secret',
      TOKEN,
      '--workers',
      '0',
    ]);
    const h = await waitFor(() => handle, 'the service to start');
    expect(await h.store.list({ source: 'archive' })).toEqual([]);
    controller.abort();
    await done;
    expect(lines.join('')).not.toContain('archive watcher');
  });
});
