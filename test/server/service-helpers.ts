// Shared by the service tests and the service benches: a service on loopback
// over a real store, a stand-in for the verification (the worker is under
// test, not the pipeline: src/pipeline/verify.ts has its own tests), a log
// captured line by line, a loopback receiver for alerts, and a GitLab hook
// posted over a keep-alive connection pool.
import { createServer, request, type Agent, type IncomingHttpHeaders, type Server } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { reason, type ReasonCode } from '../../src/report/reasons.js';
import { REPORT_SCHEMA, verifyVerdict, type VerifyReport } from '../../src/report/report.js';
import { applyFlags, parseServiceConfig, type ServiceConfig } from '../../src/server/service-config.js';
import { startService, type ServiceHandle, type ServiceMode } from '../../src/server/service.js';
import type { VerifyJob } from '../../src/server/queue/worker.js';
import { TOKEN, API_TOKEN } from './intake-helpers.js';

export { TOKEN, API_TOKEN };

/** A verify report as the pipeline makes one: the verdict follows from the reasons by the real rule. */
export function verifyReport(
  req: { repo: string; tag: string; tagObject?: string },
  codes: readonly ReasonCode[] = [],
  extra: { object?: string; version?: string; timings?: Record<string, number> } = {},
): VerifyReport {
  const reasons = codes.map((c) => reason(c, `${c} (test)`));
  const object = extra.object ?? req.tagObject;
  return {
    schema: REPORT_SCHEMA,
    kind: 'verify',
    verdict: verifyVerdict(reasons, false),
    reasons,
    notes: [],
    layers: {
      authenticity: { status: 'pass' },
      metadata: { status: 'pass' },
      binding: { status: 'pass' },
      content: { status: 'pass' },
      bits: { status: 'pass' },
    },
    repo: req.repo,
    tag: { name: req.tag, ...(object !== undefined && { object }) },
    source: { ...(extra.version !== undefined && { version: extra.version }) },
    timings: extra.timings ?? {},
  };
}

/** Log lines captured as parsed JSON objects. */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') this.lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  readonly logger = pino({ level: 'debug' }, this.stream);
}

export interface TestServiceOptions {
  readonly dataDir: string;
  readonly database?: string;
  readonly verifyJob: VerifyJob;
  readonly mode?: ServiceMode;
  readonly workers?: number;
  readonly config?: Record<string, unknown>;
  readonly log?: pino.Logger;
  readonly workerId?: string;
  readonly abortWaitMs?: number;
}

export function testConfig(o: Pick<TestServiceOptions, 'dataDir' | 'database' | 'workers' | 'config' | 'mode'>): ServiceConfig {
  const raw = applyFlags(
    { pollMs: 20, backoffBaseMs: 20, backoffMaxMs: 200, leaseMs: 3_000, shutdownGraceMs: 200, ...o.config },
    {
      dataDir: o.dataDir,
      ...(o.database !== undefined && { database: o.database }),
      ...(o.mode !== 'worker' && { listen: '127.0.0.1:0' }),
      webhookSecret: [TOKEN],
      apiToken: [API_TOKEN],
      workers: String(o.workers ?? 1),
    },
  );
  return parseServiceConfig(raw, 'test', o.mode ?? 'serve');
}

export function startTestService(o: TestServiceOptions): Promise<ServiceHandle> {
  return startService(
    testConfig(o),
    {
      verifyJob: o.verifyJob,
      log: o.log ?? pino({ level: 'silent' }),
      ...(o.workerId !== undefined && { workerId: o.workerId }),
      ...(o.abortWaitMs !== undefined && { abortWaitMs: o.abortWaitMs }),
    },
    o.mode ?? 'serve',
  );
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface ReceivedAlert {
  readonly headers: IncomingHttpHeaders;
  /** The bytes as received (a signature is over these). */
  readonly raw: Buffer;
  readonly body: unknown;
  readonly status: number;
}

/** An alert receiver on loopback that answers `statuses[i]` to the i-th request (then 200). */
export async function startAlertReceiver(
  statuses: number[] = [],
): Promise<{ url: string; received: ReceivedAlert[]; close(): Promise<void> }> {
  const received: ReceivedAlert[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statuses[received.length] ?? 200;
      const raw = Buffer.concat(chunks);
      received.push({ headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')) as unknown, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const hookHeaders = (uuid?: string): Record<string, string> => ({
  'content-type': 'application/json',
  'x-gitlab-event': 'Tag Push Hook',
  'x-gitlab-token': TOKEN,
  ...(uuid !== undefined && { 'x-gitlab-event-uuid': uuid }),
});

export const apiHeaders = { authorization: `Bearer ${API_TOKEN}` };

/** A GitLab Tag Push Hook (`body`, delivery `uuid`) POSTed to the service at `base` over `agent`: the status and the answer's bytes. */
export function postHook(base: URL, agent: Agent, body: Buffer, uuid: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path: '/hooks/gitlab',
        method: 'POST',
        agent,
        headers: { ...hookHeaders(uuid), 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
