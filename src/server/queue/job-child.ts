// The process a verification runs in (started by src/server/queue/job-process.ts):
// the fetched bytes of a job are parsed and judged here, so that however long
// or however much memory a hostile tag makes them take, the service's event
// loop (intake, API, /healthz, lease renewals) is not the one waiting. It runs
// the service's own verification (src/server/queue/verify-job.ts), keeps its caches
// (keyrings, the Sources index) between the jobs it is given one at a time,
// and sends its log lines, what the verification prints (the attempt's log)
// and its report to the service over the IPC channel.
// It ends when that channel closes: a service that died leaves no job running.
import { Writable } from 'node:stream';
import pino from 'pino';
import type { ServiceConfig } from '../service-config.js';
import { makeVerifyJob } from './verify-job.js';
import type { VerifyJob } from './worker.js';
import type { ChildMessage, ParentMessage } from './job-process.js';

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Log lines go to the service, which writes them with the job's bindings. */
const toParent = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '') send({ type: 'log', line });
    cb();
  },
});

/** Output goes to the service in pieces of at most this many characters (one IPC message each). */
const OUTPUT_PIECE = 64 * 1024;

function sendOutput(id: number, text: string): void {
  for (let i = 0; i < text.length; i += OUTPUT_PIECE) send({ type: 'output', id, text: text.slice(i, i + OUTPUT_PIECE) });
}

let verifyJob: VerifyJob | undefined;
let log: pino.Logger = pino({ level: 'info', base: null, timestamp: false }, toParent);
let running: { readonly id: number; readonly controller: AbortController } | undefined;

async function run(id: number, request: Parameters<VerifyJob>[0]): Promise<void> {
  const controller = new AbortController();
  running = { id, controller };
  try {
    if (verifyJob === undefined) throw new Error('the job process was not initialised');
    const report = await verifyJob(request, { signal: controller.signal, log, output: (text) => sendOutput(id, text) });
    send({ type: 'report', id, report });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    send({ type: 'error', id, message: e.message, ...(e.stack !== undefined && { stack: e.stack }) });
  } finally {
    running = undefined;
  }
}

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'init':
      log = pino({ level: message.logLevel, base: null, timestamp: false }, toParent);
      verifyJob = makeVerifyJob(message.config as ServiceConfig);
      return;
    case 'run':
      void run(message.id, message.request);
      return;
    case 'abort':
      if (running?.id === message.id) running.controller.abort(new Error(message.why));
      return;
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
