// A loopback HTTP server for the upload tests: serves a directory tree the way
// a Debian mirror does (plain files, 404 for what is missing), with faults to
// inject per path: a delay before answering, a status, or a body cut short.
// Answers carry Last-Modified (the file's mtime) and honour If-Modified-Since.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, normalize } from 'node:path';

export interface Fault {
  readonly delayMs?: number;
  readonly status?: number;
}

export interface MirrorServer {
  readonly url: string;
  /** Paths requested, in order. */
  readonly requests: string[];
  /** Faults by URL path (e.g. "/pool/main/h/hello/hello_1.0.dsc"). */
  readonly faults: Map<string, Fault>;
  close(): Promise<void>;
}

export async function startMirrorServer(root: string): Promise<MirrorServer> {
  const requests: string[] = [];
  const faults = new Map<string, Fault>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const fault = faults.get(path);
    const answer = (): void => {
      if (fault?.status) {
        res.writeHead(fault.status, { 'content-type': 'text/plain' }).end(`status ${fault.status}\n`);
        return;
      }
      const file = join(root, normalize(path));
      if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      // Last-Modified / If-Modified-Since as a static file server answers them (second granularity).
      const { mtime, size } = statSync(file);
      const since = Date.parse(String(req.headers['if-modified-since'] ?? ''));
      if (Math.floor(mtime.getTime() / 1000) <= Math.floor(since / 1000)) {
        res.writeHead(304, { 'last-modified': mtime.toUTCString() }).end();
        return;
      }
      res.writeHead(200, { 'content-length': String(size), 'last-modified': mtime.toUTCString() });
      createReadStream(file).pipe(res);
    };
    if (fault?.delayMs) setTimeout(answer, fault.delayMs);
    else answer();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
