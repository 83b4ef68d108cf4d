// The mirror client's GET (src/archive/mirror-http.ts over src/net/): the
// mirror and every redirect follow the URL policy. A loopback mirror is
// allowed only with the test switch (fetch.allowHttpLoopback); even then a
// redirect must lead to an allowed address, literal or resolved.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMirrorGet } from '../../src/archive/mirror-http.js';
import { ArchiveError } from '../../src/archive/release.js';
import { mirrorHttpGet } from '../../src/pipeline/trust.js';
import { parseConfig } from '../../src/config/load.js';

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const port = (server.address() as AddressInfo).port;
    if (req.url === '/to-self') res.writeHead(302, { location: `http://127.0.0.1:${port}/file` }).end();
    else if (req.url === '/to-private') res.writeHead(302, { location: 'https://10.1.2.3/debian/file' }).end();
    else if (req.url === '/to-metadata') res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    else if (req.url === '/to-other-host') res.writeHead(302, { location: 'http://example.org/debian/file' }).end();
    else if (req.url === '/big') res.writeHead(200).end(Buffer.alloc(1000));
    else res.writeHead(200).end('mirror file');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the mirror GET', () => {
  const get = makeMirrorGet({ policy: { allowHttpLoopback: true } });

  it('follows a redirect within the mirror', async () => {
    expect(Buffer.from(await get(`${base}/to-self`, 1 << 20)).toString()).toBe('mirror file');
  });

  it('refuses a redirect that is not allowed: a private address, the metadata service, plain http to another host', async () => {
    for (const path of ['/to-private', '/to-metadata', '/to-other-host']) {
      const err = await get(`${base}${path}`, 1 << 20).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(ArchiveError);
      expect((err as ArchiveError).kind, path).toBe('network');
      expect((err as Error).message, path).toMatch(/not a public address|plain http is allowed only to loopback/);
    }
  });

  it('stops past the size asked for', async () => {
    const err = await get(`${base}/big`, 100).catch((e: unknown) => e);
    expect((err as ArchiveError).kind).toBe('too-large');
  });

  it("follows the configuration's URL policy: a loopback mirror only with the test switch", async () => {
    const strict = mirrorHttpGet(parseConfig({}, 'test'));
    const err = await strict(`${base}/file`, 1 << 20).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/plain http is not allowed/);
    const loose = mirrorHttpGet(parseConfig({ fetch: { allowHttpLoopback: true } }, 'test'));
    expect(Buffer.from(await loose(`${base}/file`, 1 << 20)).toString()).toBe('mirror file');
  });
});
