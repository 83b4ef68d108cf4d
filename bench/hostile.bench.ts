// /healthz while a job verifies a hostile tag. A real repository, served by
// git over loopback smart HTTP, holds a tag whose signature block carries one
// line of --kib KiB of white space (tag2upload's real tags are a few KiB; the
// line is the input that made a backtracking trim take minutes; the default is
// the largest tag object the verifier reads, just under its 1 MiB cap). The service is asked to verify it, and /healthz
// is asked every 20 ms until the job has a verdict: with each verification in
// its own process (the service's design, src/server/queue/job-process.ts), and with
// the same verification on the service's event loop (the design before it),
// against the idle service measured in the same run. Goal: p99 under 100 ms.
// Usage: npx tsx bench/hostile.bench.ts [--kib 1000] [--idle-seconds 5]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { VerifyReport } from '../src/report/report.js';
import { isolatedVerifyJob } from '../src/server/queue/job-process.js';
import { startService } from '../src/server/service.js';
import { makeVerifyJob } from '../src/server/queue/verify-job.js';
import type { VerifyJob } from '../src/server/queue/worker.js';
import { hostileJobConfig, serveHostileTag } from '../test/server/hostile-tag.js';
import { testConfig } from '../test/server/service-helpers.js';
import { loadAverage, probeHealth, quantile } from './open-loop.js';
import { numberOption } from './lib/args.js';

const KIB = numberOption('--kib', 1000);
const IDLE_SECONDS = numberOption('--idle-seconds', 5);

const root = mkdtempSync(join(tmpdir(), 't2u-bench-hostile-'));
const { git, tag } = await serveHostileTag(root, KIB * 1024);

type Variant = 'idle' | 'process' | 'loop';

async function measure(variant: Variant): Promise<string> {
  const config = testConfig({
    dataDir: join(root, `data-${variant}`),
    workers: variant === 'idle' ? 0 : 1,
    config: hostileJobConfig(30 * 60_000),
  });
  const verifyJob: VerifyJob = variant === 'loop' ? makeVerifyJob(config) : isolatedVerifyJob({ config });
  const h = await startService(config, { verifyJob, log: pino({ level: 'info' }, pino.destination('/dev/null')) });
  try {
    let job: Promise<unknown> = new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    let id: string | undefined;
    const started = performance.now();
    if (variant !== 'idle') {
      id = (await h.store.enqueue({ repo: `${git.url}/hostile.git`, tag, upload: `${git.url}/none/x_1.0-1.dsc`, intake: 'api' })).id;
      h.worker.wake();
      job = (async () => {
        while ((await h.store.get(id))?.status !== 'done') await new Promise((r) => setTimeout(r, 50));
      })();
    }
    const { latencies, failures } = await probeHealth(h.url!, job);
    const seconds = (performance.now() - started) / 1000;
    const report = id === undefined ? undefined : ((await h.store.get(id))?.report as VerifyReport | undefined);
    const outcome =
      report === undefined ? '' : `  job ${seconds.toFixed(1)} s: ${report.verdict} ${report.reasons.map((r) => r.code).join(',')}`;
    return `p50 ${quantile(latencies, 0.5).toFixed(1)} ms  p99 ${quantile(latencies, 0.99).toFixed(1)} ms  max ${latencies[latencies.length - 1]!.toFixed(0)} ms  checks ${latencies.length}  failed ${failures}${outcome}  [load ${loadAverage()}]`;
  } finally {
    await h.stop();
    await verifyJob.close?.();
  }
}

console.log(
  `node ${process.version}; hostile tag: one ${KIB} KiB line of white space in its signature block; /healthz every 20 ms, one at a time`,
);
console.log(`load average at start: ${loadAverage()}`);
console.log(`idle service (baseline)                      ${await measure('idle')}`);
console.log(`hostile job in its own process (the service) ${await measure('process')}`);
console.log(`hostile job on the event loop (before)       ${await measure('loop')}`);
await git.close();
rmSync(root, { recursive: true, force: true });
