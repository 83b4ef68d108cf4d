// The keyring download's GET (src/archive/mirror-http.ts with the URL
// policy's guard, src/pipeline/trust.ts): the configured mirror is the operator's choice
// (a loopback one here), but a redirect to another host must lead to a public
// address, literal or resolved.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MirrorNetworkError } from '../../src/archive/mirror-http.js';
import { mirrorHttpGet } from '../../src/pipeline/trust.js';

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const port = (server.address() as AddressInfo).port;
    if (req.url === '/to-self') res.writeHead(302, { location: `http://127.0.0.1:${port}/file` }).end();
    else if (req.url === '/to-private') res.writeHead(302, { location: 'http://10.1.2.3/debian/file' }).end();
    else if (req.url === '/to-metadata') res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    else if (req.url === '/to-loopback-name') res.writeHead(302, { location: `http://localhost:${port}/file` }).end();
    else res.writeHead(200).end('mirror file');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('makeHttpGet', () => {
  // The client the keyring download uses.
  const get = mirrorHttpGet();

  it('follows a redirect within the mirror', async () => {
    expect(Buffer.from(await get(`${base}/to-self`)).toString()).toBe('mirror file');
  });

  it('refuses a redirect to another host that is not public: a private address, the metadata service, a name that resolves to loopback', async () => {
    for (const path of ['/to-private', '/to-metadata', '/to-loopback-name']) {
      const err = await get(`${base}${path}`).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(MirrorNetworkError);
      expect((err as Error).message, path).toMatch(/not a public address/);
    }
  });
});
