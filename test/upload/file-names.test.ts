// No file name from outside becomes a host path: a .dsc name taken from an
// upload URL (CLI, API), a name listed in a .dsc or a Sources index (the
// archive watcher, and the jobs webhooks start, which find their upload in
// the index), and the copies made for the sandbox all pass one check. The
// attacks are real: a server that answers 200 with a body to any path, and a
// traversal that, unchecked, lands in a directory beside the private one.
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerVerify } from '../../src/cli/verify-command.js';
import { UsageError } from '../../src/report/usage-error.js';
import { checkFileName, fileInside } from '../../src/deb822/file-name.js';
import { obtainUpload } from '../../src/upload/obtain.js';
import { parseSources } from '../../src/upload/sources-index.js';
import { API_TOKEN, buildApp, MemoryQueue } from '../server/intake-helpers.js';
import { FormatError } from '../../src/report/format-error.js';

const TRAVERSALS = [
  '..%2Foutside%2Fx.dsc',
  '..%2F..%2Foutside%2Fx.dsc',
  '%2E%2E%2Foutside%2Fx.dsc',
  'a%2Fx.dsc',
  '..%5Cx.dsc',
  '%00x.dsc',
  '%ZZx.dsc',
];

let work: string;
let outside: string;
let server: Server;
let base: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 't2u-file-names-'));
  // Where "../outside/x.dsc", joined to a private directory under `work`, would land.
  outside = join(work, 'outside');
  mkdirSync(outside);
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('Format: 3.0 (native)\nSource: x\nVersion: 1\n');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}/pool/main/x`;
});

afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  rmSync(work, { recursive: true, force: true });
});

describe('the one file-name check', () => {
  it('accepts dpkg names and refuses separators, leading dots and the empty name', () => {
    expect(checkFileName('weechat-matrix_0.3.0-3.4..dsc')).toBe('weechat-matrix_0.3.0-3.4..dsc');
    for (const bad of ['..', '../x.dsc', '.x.dsc', 'a/b.dsc', 'a\\b.dsc', 'a b.dsc', 'x\n.dsc', 'x\0.dsc', '']) {
      expect(() => checkFileName(bad), JSON.stringify(bad)).toThrow(FormatError);
      expect(() => fileInside(work, bad), JSON.stringify(bad)).toThrow(FormatError);
    }
    expect(fileInside(work, 'x_1.dsc')).toBe(join(work, 'x_1.dsc'));
  });
});

describe('an upload URL whose last segment decodes to a path', () => {
  it('is refused by obtainUpload (UPLOAD_URL_INVALID), and nothing is written anywhere', async () => {
    for (const name of TRAVERSALS) {
      const r = await obtainUpload({ kind: 'dsc-url', url: `${base}/${name}` }, { policy: { allowHttpLoopback: true }, parentDir: work });
      expect(r.ok, name).toBe(false);
      if (!r.ok)
        expect(
          r.reasons.map((x) => x.code),
          name,
        ).toEqual(['UPLOAD_URL_INVALID']);
    }
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(work).sort()).toEqual(['outside']);
  });

  it('is a usage error (exit 2) on the command line, before anything is fetched', async () => {
    for (const name of TRAVERSALS) {
      const program = new Command('t2u-verify').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
      registerVerify(program, () => undefined);
      const run = program.parseAsync([
        'node',
        't2u-verify',
        'verify',
        '--repo',
        'https://salsa.debian.org/x.git',
        '--tag',
        'debian/1',
        '--upload',
        `${base}/${name}`,
        '--allow-http',
      ]);
      await expect(run, name).rejects.toThrow(UsageError);
    }
    expect(readdirSync(outside)).toEqual([]);
  });

  it('is a 400 naming the field from the API, and no job is queued', async () => {
    const queue = new MemoryQueue();
    const app = await buildApp({ allowHttpLoopback: true }, queue.enqueue);
    try {
      for (const name of TRAVERSALS) {
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/verifications',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
          payload: JSON.stringify({
            repo: 'https://salsa.debian.org/x.git',
            tag: 'debian/1-1',
            upload: `https://deb.debian.org/debian/pool/main/x/${name}`,
          }),
        });
        expect(res.statusCode, name).toBe(400);
        expect(res.json(), name).toMatchObject({ error: 'invalid', path: 'upload' });
      }
      expect(queue.seen).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe('names listed by a Sources index (the archive watcher, and webhook jobs)', () => {
  it('a stanza naming a path is skipped with the reason, never an entry', () => {
    const sha = 'a'.repeat(64);
    const stanza = (name: string): string =>
      `Package: xx\nVersion: 1\nDirectory: pool/main/x/xx\nChecksums-Sha256:\n ${sha} 10 ${name}\n ${sha} 10 xx_1.tar.xz\n`;
    const { entries, skipped } = parseSources([stanza('../../outside/xx_1.dsc'), stanza('xx_1.dsc')].join('\n'));
    expect(entries.map((e) => e.dsc.name)).toEqual(['xx_1.dsc']);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.why).toMatch(/file name .* has characters dpkg does not allow/);
  });
});
