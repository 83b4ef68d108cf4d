// `t2u-verify serve --watch-mirror URL`: the archive watcher runs inside the
// service. A loopback mirror (test/server/archive-fixture.ts: real
// tag2upload .dsc files, InRelease clearsigned by a test archive key) is
// polled by the real command; every upload with Git-Tag-Info becomes an
// archive job in the service's store, and the watcher stops with the service.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveFixture, archiveDscs } from './archive-fixture.js';
import { runServe } from '../helpers/serve-command.js';
import { verifyReport, waitFor } from './service-helpers.js';

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
    // What has no flag comes from the file: the test archive's keyring, and no tag copies (no git servers here).
    const config = join(dir, 'service.json');
    writeFileSync(config, JSON.stringify({ watch: { archiveKeyring: f.archiveRing, checkTagCopies: false } }));
    const serve = runServe(
      [
        '--data-dir',
        join(dir, 'data'),
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
      ],
      { makeVerifyJob: () => (req) => Promise.resolve(verifyReport(req)) },
    );
    const h = await serve.started();
    const expected = archiveDscs().length;
    const jobs = await waitFor(async () => {
      const list = await h.store.list({ intake: 'archive' });
      return list.length >= expected ? list : undefined;
    }, 'the watcher to queue the archive uploads');
    expect(jobs).toHaveLength(expected);
    for (const j of jobs) {
      expect(j.upload?.startsWith(`${f.mirror.url}/pool/main/`)).toBe(true);
      expect(j.repo).toMatch(/^https:\/\/git\.dgit\.debian\.org\//);
      expect(j.tag).toMatch(/^debian\//);
    }
    expect(serve.records().find((l) => l['msg'] === 'service started')).toMatchObject({ watching: f.mirror.url });
    expect(await serve.stop()).toBe(0);
    // The watcher stopped before the store closed, and said so.
    const lines = serve.records();
    expect(lines.some((l) => l['watcher'] === true && l['msg'] === 'archive watcher stopped')).toBe(true);
    expect(lines.filter((l) => l['level'] === 50)).toEqual([]);
  });

  it('without --watch-mirror there is no watcher', async () => {
    const serve = runServe(['--data-dir', join(dir, 'plain'), '--workers', '0'], {
      makeVerifyJob: () => (req) => Promise.resolve(verifyReport(req)),
    });
    const h = await serve.started();
    expect(await h.store.list({ intake: 'archive' })).toEqual([]);
    await serve.stop();
    expect(serve.log.join('')).not.toContain('archive watcher');
  });
});
