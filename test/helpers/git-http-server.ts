// A loopback smart-HTTP git server for tests: node:http in front of the real
// `git http-backend` CGI, serving a directory of bare repositories. Bodies are
// streamed both ways (a pack is never held in memory), and faults can be
// injected to test the fetch stage's error paths: a delayed response, a
// response cut after N bytes, or an HTTP error status.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** git's CGI program; Debian's git package installs it here. */
export const GIT_HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

/** Which requests a fault applies to: the ref advertisement, the pack request, or both. */
export type FaultTarget = 'all' | 'info-refs' | 'upload-pack';

export interface Faults {
  /** Wait this long before answering (the connection stays open, silent). */
  readonly delayMs?: number;
  /** Destroy the connection after sending this many body bytes. */
  readonly cutAfterBytes?: number;
  /** Answer with this HTTP status (and a short text body) instead of running git. */
  readonly status?: number;
  /** Requests the faults apply to; default 'all'. */
  readonly only?: FaultTarget;
}

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** The Git-Protocol request header (e.g. 'version=2'), if sent. */
  readonly gitProtocol: string | undefined;
  /** The status sent, or undefined if the connection was cut before headers. */
  status: number | undefined;
  /** Response body bytes sent. */
  bytesSent: number;
  /** The request body as the CGI received it (its first 64 KiB): what the client asked for. */
  body: Buffer;
}

const RECORDED_BODY_BYTES = 64 << 10;

export interface GitHttpServer {
  /** Base URL, e.g. http://127.0.0.1:PORT; a repository is `${url}/<name>.git`. */
  readonly url: string;
  /** Every request served so far, in order. */
  readonly requests: readonly RequestRecord[];
  /** Replaces the faults for the following requests (undefined: none). */
  setFaults(faults: Faults | undefined): void;
  close(): Promise<void>;
}

export interface GitHttpServerOptions {
  /** Directory holding the bare repositories (GIT_PROJECT_ROOT). */
  readonly root: string;
  readonly faults?: Faults;
}

function targetOf(path: string, query: string): FaultTarget {
  if (path.endsWith('/git-upload-pack')) return 'upload-pack';
  if (path.endsWith('/info/refs') || query.includes('service=')) return 'info-refs';
  return 'all';
}

function applies(faults: Faults | undefined, path: string, query: string): faults is Faults {
  if (faults === undefined) return false;
  const only = faults.only ?? 'all';
  return only === 'all' || only === targetOf(path, query);
}

/**
 * Splits the CGI output into its header block and the body that follows:
 * RFC 3875 §6 headers end with an empty line; git http-backend writes "\r\n".
 */
function headerEnd(buf: Buffer): { end: number; sep: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { end: crlf, sep: 4 };
  if (lf >= 0) return { end: lf, sep: 2 };
  return undefined;
}

function parseCgiHeaders(text: string): { status: number; headers: [string, string][] } {
  let status = 200;
  const headers: [string, string][] = [];
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    // A CGI "Status: 404 Not Found" header sets the HTTP status line.
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers.push([name, value]);
  }
  return { status, headers };
}

export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  let faults = options.faults;
  const requests: RequestRecord[] = [];
  const children = new Set<ChildProcess>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  function serve(req: IncomingMessage, res: ServerResponse, record: RequestRecord, active: Faults | undefined): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: options.root,
      // Serve every repository without a git-daemon-export-ok file.
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
      SERVER_SOFTWARE: 't2u-verify-test',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      REMOTE_USER: '',
      CONTENT_TYPE: header('content-type') ?? '',
      // git clients gzip large requests; http-backend inflates them itself.
      HTTP_CONTENT_ENCODING: header('content-encoding') ?? '',
      // http-backend passes HTTP_GIT_PROTOCOL on to upload-pack as GIT_PROTOCOL (protocol v2).
      HTTP_GIT_PROTOCOL: header('git-protocol') ?? '',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: options.root,
    };
    const length = header('content-length');
    if (length !== undefined) env.CONTENT_LENGTH = length;

    const child = spawn(GIT_HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.on('close', () => children.delete(child));
    child.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('git http-backend failed to start\n');
      }
    });
    child.stderr?.resume();
    // Request body: streamed into the CGI; a client that goes away ends it.
    req.on('data', (chunk: Buffer) => {
      if (record.body.length < RECORDED_BODY_BYTES)
        record.body = Buffer.concat([record.body, chunk.subarray(0, RECORDED_BODY_BYTES - record.body.length)]);
    });
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    res.on('close', () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });

    const cutAt = active?.cutAfterBytes;
    let head: Buffer = Buffer.alloc(0);
    let headerDone = false;

    const sendBody = (chunk: Buffer): void => {
      if (cutAt !== undefined && record.bytesSent + chunk.length >= cutAt) {
        const part = chunk.subarray(0, Math.max(0, cutAt - record.bytesSent));
        record.bytesSent += part.length;
        // Flush what the limit allows, then drop the connection mid-body.
        res.write(part, () => res.socket?.destroy());
        child.stdout?.pause();
        child.kill('SIGKILL');
        return;
      }
      record.bytesSent += chunk.length;
      // Back-pressure: stop reading from git while the socket is full.
      if (!res.write(chunk)) {
        child.stdout?.pause();
        res.once('drain', () => child.stdout?.resume());
      }
    };

    child.stdout.on('data', (chunk: Buffer) => {
      if (res.destroyed) return;
      if (headerDone) {
        sendBody(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = headerEnd(head);
      if (end === undefined) return;
      headerDone = true;
      const { status, headers } = parseCgiHeaders(head.subarray(0, end.end).toString('latin1'));
      record.status = status;
      res.writeHead(status, headers);
      const rest = head.subarray(end.end + end.sep);
      head = Buffer.alloc(0);
      if (rest.length > 0) sendBody(rest);
    });
    child.stdout.on('end', () => {
      if (res.destroyed) return;
      if (!headerDone) {
        record.status = 502;
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end('git http-backend sent no headers\n');
        return;
      }
      res.end();
    });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query = url.search.replace(/^\?/, '');
    const gitProtocol = req.headers['git-protocol'];
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      gitProtocol: Array.isArray(gitProtocol) ? gitProtocol.join(', ') : gitProtocol,
      status: undefined,
      bytesSent: 0,
      body: Buffer.alloc(0),
    };
    requests.push(record);
    const active = applies(faults, url.pathname, query) ? faults : undefined;

    const go = (): void => {
      if (active?.status !== undefined) {
        record.status = active.status;
        // Drain the request body so the client sees the status, not a reset.
        req.resume();
        res.writeHead(active.status, { 'Content-Type': 'text/plain' });
        res.end(`injected fault: HTTP ${active.status}\n`);
        return;
      }
      serve(req, res, record, active);
    };
    if (active?.delayMs !== undefined && active.delayMs > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) go();
      }, active.delayMs);
      timers.add(timer);
    } else {
      go();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setFaults(next) {
      faults = next;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const c of children) c.kill('SIGKILL');
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
