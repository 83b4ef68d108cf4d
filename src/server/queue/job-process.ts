// Runs each verification in a child process with its own limits, so that the
// service keeps answering whatever a job does. Parsing a fetched tag, .dsc or
// changelog is the verifier's most exposed work: bytes chosen by whoever
// pushed the tag, read before any signature is judged. On the service's own
// event loop, one input that makes a parser slow would stop the intake, the
// API, /healthz and every lease renewal with it. Here it stops one child.
//
// - Memory: the child's V8 heap is capped (--max-old-space-size = heapMb) and
//   its resident size is read from /proc every 250 ms (buffers are outside the
//   heap); past either, the child is killed and the job ends `unverifiable`
//   with JOB_MEMORY_LIMIT.
// - Time: past timeMs (counted from the child's start-up, which has its own
//   bound) the child is killed (SIGKILL: a parser stuck in one
//   regular expression never returns to its event loop to hear an abort) and
//   the job ends with JOB_TIME_LIMIT.
// - Abort (shutdown, lease lost, the worker's backstop): the child is asked to
//   stop, which kills its sandboxes and removes its temporary files; if it has
//   not answered within killGraceMs it is killed.
// - Any other end without a report is JOB_PROCESS_FAILED.
// A child that answered is kept for the next job (it holds the keyrings and
// the Sources index, which take seconds to load); at most one job runs in a
// child at a time, so there are as many children as jobs running at once.
import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { unverifiableReport } from '../../pipeline/verify-setup.js';
import { reason, type ReasonCode } from '../../report/reasons.js';
import type { VerifyReport } from '../../report/report.js';
import type { ServiceConfig } from '../service-config.js';
import type { VerifyJob } from './worker.js';

type JobRequest = Parameters<VerifyJob>[0];

/** service → child */
export type ParentMessage =
  | { readonly type: 'init'; readonly config: unknown; readonly logLevel: string }
  | { readonly type: 'run'; readonly id: number; readonly request: JobRequest }
  | { readonly type: 'abort'; readonly id: number; readonly why: string };

/** child → service */
export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'output'; readonly id: number; readonly text: string }
  | { readonly type: 'report'; readonly id: number; readonly report: VerifyReport }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly stack?: string };

export interface JobLimits {
  readonly heapMb: number;
  readonly rssMb: number;
  readonly timeMs: number;
}

export interface JobProcessOptions {
  readonly config: Readonly<ServiceConfig>;
  /** The child's module; the default runs the service's verification (src/server/queue/job-child.ts). */
  readonly entry?: URL;
  /** How long an aborted job may take to stop before its process is killed. */
  readonly killGraceMs?: number;
  /** How often the child's resident memory is read. */
  readonly memoryPollMs?: number;
}

/** The limits of a configuration: timeMs defaults to 95% of jobTimeoutMs, inside the worker's backstop. */
export function jobLimits(config: Readonly<ServiceConfig>): JobLimits {
  return {
    heapMb: config.jobLimits.heapMb,
    rssMb: config.jobLimits.rssMb,
    timeMs: config.jobLimits.timeMs ?? Math.floor(config.jobTimeoutMs * 0.95),
  };
}

/** The compiled child beside this module, or the TypeScript source under tsx (tests, `tsx src/…`). */
function childModule(entry: URL | undefined): { entry: URL; execArgv: string[] } {
  const here = import.meta.url;
  const module = entry ?? new URL(here.endsWith('.ts') ? './job-child.ts' : './job-child.js', here);
  if (!module.pathname.endsWith('.ts')) return { entry: module, execArgv: [] };
  return { entry: module, execArgv: ['--import', pathToFileURL(createRequire(here).resolve('tsx')).href] };
}

const PAGE_SIZE = 4096;

/** How long a new job process may take to load before it is given up on. */
const STARTUP_MS = 120_000;

async function residentBytes(pid: number): Promise<number | undefined> {
  try {
    const statm = await readFile(`/proc/${pid}/statm`, 'utf8');
    return Number(statm.split(' ')[1]) * PAGE_SIZE;
  } catch {
    return undefined;
  }
}

type Outcome =
  | { readonly kind: 'report'; readonly report: VerifyReport }
  | { readonly kind: 'error'; readonly error: Error }
  | { readonly kind: 'limit'; readonly code: ReasonCode; readonly message: string }
  | { readonly kind: 'exit'; readonly message: string };

/** One child process; runs one job at a time. */
class JobChild {
  readonly process: ChildProcess;
  #stderrTail = '';
  #current: ((outcome: Outcome) => void) | undefined;
  #currentId = 0;
  #output: ((text: string) => void) | undefined;
  #log: Logger;
  #exited = false;
  #killed = false;
  readonly ready: Promise<void>;

  constructor(entry: URL, execArgv: string[], limits: JobLimits, init: ParentMessage, log: Logger) {
    this.#log = log;
    this.process = fork(fileURLToPath(entry), [], {
      execArgv: [...execArgv, `--max-old-space-size=${limits.heapMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.process.stderr?.setEncoding('utf8');
    this.process.stderr?.on('data', (s: string) => {
      this.#stderrTail = (this.#stderrTail + s).slice(-4096);
    });
    let onReady!: () => void;
    let onFail!: (err: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      onReady = resolve;
      onFail = reject;
    });
    this.ready.catch(() => undefined);
    this.process.on('message', (m: ChildMessage) => {
      switch (m.type) {
        case 'ready':
          this.send(init);
          onReady();
          return;
        case 'log':
          this.#forwardLog(m.line);
          return;
        case 'output':
          if (m.id === this.#currentId && typeof m.text === 'string') this.#output?.(m.text);
          return;
        case 'report':
          if (m.id === this.#currentId) this.#settle({ kind: 'report', report: m.report });
          return;
        case 'error': {
          const error = new Error(m.message);
          if (m.stack !== undefined) error.stack = m.stack;
          if (m.id === this.#currentId) this.#settle({ kind: 'error', error });
          return;
        }
      }
    });
    this.process.on('error', (err) => {
      onFail(err);
      this.#settle({ kind: 'exit', message: `the job process failed: ${err.message}` });
    });
    this.process.on('exit', (code, signal) => {
      this.#exited = true;
      const how = signal !== null ? `signal ${signal}` : `exit status ${code}`;
      onFail(new Error(`the job process ended (${how}) before it was ready`));
      const oom = /heap out of memory|Reached heap limit|Allocation failed/i.test(this.#stderrTail);
      if (oom)
        this.#settle({
          kind: 'limit',
          code: 'JOB_MEMORY_LIMIT',
          message: `the job process ran out of its ${limits.heapMb} MiB heap (${how})`,
        });
      else
        this.#settle({
          kind: 'exit',
          message: `the job process ended without a report (${how})${this.#stderrTail.trim() === '' ? '' : `: ${lastLine(this.#stderrTail)}`}`,
        });
    });
    this.idle();
  }

  /** Neither ended nor being killed. */
  get alive(): boolean {
    return !this.#exited && !this.#killed;
  }

  send(message: ParentMessage): void {
    if (this.#exited || !this.process.connected) return;
    this.process.send(message);
  }

  /** Starts a job; the promise settles once, with the first of report, error, limit or exit. */
  async run(id: number, request: JobRequest, log: Logger, output?: (text: string) => void): Promise<Outcome> {
    this.#log = log;
    this.#output = output;
    this.#currentId = id;
    this.#stderrTail = '';
    this.process.channel?.ref();
    const outcome = new Promise<Outcome>((resolve) => (this.#current = resolve));
    // A child that never became ready has exited, and that settled the outcome.
    if (
      await this.ready.then(
        () => true,
        () => false,
      )
    )
      this.send({ type: 'run', id, request });
    return outcome;
  }

  /** A running job passed a limit: kill the process, and the job's outcome is the limit. */
  limit(code: ReasonCode, message: string): void {
    this.#settle({ kind: 'limit', code, message });
    this.kill();
  }

  kill(): void {
    this.#killed = true;
    if (!this.#exited) this.process.kill('SIGKILL');
  }

  /** Between jobs the child does not keep the service's process alive. */
  idle(): void {
    this.process.unref();
    this.process.channel?.unref();
    (this.process.stderr as { unref?: () => void } | null)?.unref?.();
  }

  #settle(outcome: Outcome): void {
    const done = this.#current;
    this.#current = undefined;
    done?.(outcome);
  }

  #forwardLog(line: string): void {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const { level, msg, ...fields } = record;
    const label = this.#log.levels.labels[Number(level)] ?? 'info';
    const write = (this.#log as unknown as Record<string, (obj: object, msg?: string) => void>)[label];
    write?.call(this.#log, fields, typeof msg === 'string' ? msg : undefined);
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1]!.slice(0, 500);
}

export type IsolatedVerifyJob = VerifyJob & { close(): Promise<void> };

/**
 * The service's verification, each job in a child process under `limits`
 * (see the module header). `close()` ends the idle children; running ones end
 * when their jobs are aborted (the service's stop does that first).
 */
export function isolatedVerifyJob(options: JobProcessOptions): IsolatedVerifyJob {
  const limits = jobLimits(options.config);
  const { entry, execArgv } = childModule(options.entry);
  const killGraceMs = options.killGraceMs ?? 5_000;
  const memoryPollMs = options.memoryPollMs ?? 250;
  const idle: JobChild[] = [];
  const all = new Set<JobChild>();
  let nextId = 0;
  let closed = false;

  const take = (log: Logger): JobChild => {
    for (let c = idle.pop(); c !== undefined; c = idle.pop()) if (c.alive) return c;
    const child = new JobChild(entry, execArgv, limits, { type: 'init', config: options.config, logLevel: log.level }, log);
    all.add(child);
    child.process.once('exit', () => all.delete(child));
    return child;
  };

  const job = async (request: JobRequest, ctx: Parameters<VerifyJob>[1]): Promise<VerifyReport> => {
    if (closed) throw new Error('the job processes are closed');
    const child = take(ctx.log);
    const id = ++nextId;
    const started = Date.now();
    const outcome = child.run(id, request, ctx.log, ctx.output);
    let settled = false;
    // The time limit is the job's: it starts once the process is ready (a new
    // process loads its modules first); the start itself has its own bound.
    let timer: NodeJS.Timeout | undefined;
    const startup = setTimeout(
      () => child.limit('JOB_PROCESS_FAILED', `the job process did not start within ${STARTUP_MS} ms`),
      STARTUP_MS,
    );
    child.ready.then(
      () => {
        clearTimeout(startup);
        if (!settled)
          timer = setTimeout(
            () => child.limit('JOB_TIME_LIMIT', `the verification ran for more than ${limits.timeMs} ms and was stopped`),
            limits.timeMs,
          );
      },
      () => clearTimeout(startup),
    );
    const memory = setInterval(() => {
      void residentBytes(child.process.pid ?? 0).then((bytes) => {
        if (bytes !== undefined && bytes > limits.rssMb * 1024 * 1024) {
          child.limit(
            'JOB_MEMORY_LIMIT',
            `the verification's process used ${Math.round(bytes / 1048576)} MiB, more than its ${limits.rssMb} MiB`,
          );
        }
      });
    }, memoryPollMs);
    let killer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      const why: unknown = ctx.signal.reason;
      child.send({ type: 'abort', id, why: why instanceof Error ? why.message : 'aborted' });
      killer = setTimeout(() => child.kill(), killGraceMs);
    };
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    let result: Outcome;
    try {
      result = await outcome;
    } finally {
      settled = true;
      clearTimeout(startup);
      clearTimeout(timer);
      clearInterval(memory);
      clearTimeout(killer);
      ctx.signal.removeEventListener('abort', onAbort);
    }
    if (child.alive && !closed && (result.kind === 'report' || result.kind === 'error')) {
      child.idle();
      idle.push(child);
    } else {
      child.kill();
    }
    switch (result.kind) {
      case 'report':
        return result.report;
      case 'error':
        throw result.error;
      case 'limit':
        ctx.output?.(`[t2u-verify] ${result.code}: ${result.message}\n`);
        ctx.log.warn({ code: result.code, ms: Date.now() - started, limits }, result.message);
        return unverifiableReport(request.repo, request.tag, reason(result.code, result.message));
      case 'exit':
        if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
        ctx.output?.(`[t2u-verify] JOB_PROCESS_FAILED: ${result.message}\n`);
        ctx.log.warn({ code: 'JOB_PROCESS_FAILED' }, result.message);
        return unverifiableReport(request.repo, request.tag, reason('JOB_PROCESS_FAILED', result.message));
    }
  };

  return Object.assign(job, {
    close(): Promise<void> {
      closed = true;
      const ending = [...all].map(
        (c) =>
          new Promise<void>((resolve) =>
            c.process.exitCode === null && c.process.signalCode === null ? c.process.once('exit', () => resolve()) : resolve(),
          ),
      );
      // An idle child is unref'd (idle()): referenced again, the wait for its exit keeps the process alive until it comes.
      for (const c of idle.splice(0)) {
        c.process.ref();
        c.kill();
      }
      return Promise.all(ending).then(() => undefined);
    },
  });
}
