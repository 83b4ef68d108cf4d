// The exposition that GET /metrics serves, parsed by the text format's rules
// (Prometheus "Exposition formats", text format 0.0.4): every sample belongs
// to a family announced by HELP and TYPE, no series twice, values are
// numbers. prom-client's default metrics are there, the build info names the
// version, every t2u_verify_* family keeps its name, type and meaning, and two
// services in one process keep their counts apart.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DURATION_BUCKETS, METRICS_CONTENT_TYPE, ServiceMetrics } from '../../src/server/api/metrics.js';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}
interface Family {
  help?: string;
  type?: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Parses text format 0.0.4 strictly enough to fail on what Prometheus would refuse. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { samples: [] }));
    return f;
  };
  const ownerOf = (sample: string): string => {
    for (const suffix of ['_bucket', '_sum', '_count']) {
      const base = sample.slice(0, -suffix.length);
      if (sample.endsWith(suffix) && families.get(base)?.type === 'histogram') return base;
    }
    return sample;
  };
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta !== null) {
      expect(meta[2]).toMatch(NAME);
      const f = family(meta[2]!);
      if (meta[1] === 'HELP') f.help = meta[3];
      else {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(meta[3]);
        expect(f.samples, `TYPE of ${meta[2]} after its samples`).toHaveLength(0);
        f.type = meta[3];
      }
      continue;
    }
    expect(line.startsWith('#'), line).toBe(false);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?[0-9]+)?$/.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    const body = m![2] ?? '';
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)",?/y;
    while (labelRe.lastIndex < body.length) {
      const lm = labelRe.exec(body);
      expect(lm, `label syntax: ${line}`).not.toBeNull();
      labels[lm![1]!] = lm![2]!;
    }
    // Values are read as Prometheus reads them (Go's strconv.ParseFloat): NaN and Inf in any case.
    const raw = m![3]!;
    const value = /^[+-]?inf$/i.test(raw) ? (raw.startsWith('-') ? -Infinity : Infinity) : /^nan$/i.test(raw) ? NaN : Number(raw);
    expect(Number.isNaN(value) && !/^nan$/i.test(raw), `value of ${line}`).toBe(false);
    const owner = ownerOf(m![1]!);
    const f = families.get(owner);
    expect(f?.type, `${m![1]} has no TYPE`).toBeDefined();
    expect(f?.help, `${m![1]} has no HELP`).toBeDefined();
    const key = `${m![1]}${JSON.stringify(labels)}`;
    expect(seen.has(key), `series twice: ${key}`).toBe(false);
    seen.add(key);
    f!.samples.push({ name: m![1]!, labels, value });
  }
  return families;
}

const value = (fs: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined =>
  [...fs.values()].flatMap((f) => f.samples).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('ServiceMetrics exposition', () => {
  it('parses, and carries the default process and Node.js metrics and the build info', async () => {
    const fs = parseExposition(await new ServiceMetrics().render({ ready: 0, delayed: 0, running: 0 }, 0));
    expect(METRICS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_version_info',
    ]) {
      expect(fs.has(name), name).toBe(true);
    }
    expect(fs.get('t2u_verify_build_info')?.type).toBe('gauge');
    expect(fs.get('t2u_verify_build_info')?.samples).toEqual([
      { name: 't2u_verify_build_info', labels: { version: PACKAGE_VERSION, node: process.versions.node }, value: 1 },
    ]);
  });

  it('keeps every t2u_verify_* family with its type and meaning', async () => {
    const m = new ServiceMetrics();
    m.verdict('reproduced', 700);
    m.verdict('mismatch', 45_000);
    m.verdict('unverifiable');
    m.released();
    m.request('/hooks/gitlab', 202);
    m.request('/hooks/gitlab', 202);
    m.request('/api/v1/verifications', 401);
    m.alertRaised('alarm');
    m.alert('delivered');
    m.alert('failed');
    const fs = parseExposition(await m.render({ ready: 3, delayed: 1, running: 2 }, 4));
    const types = Object.fromEntries([...fs].filter(([n]) => n.startsWith('t2u_verify_')).map(([n, f]) => [n, f.type]));
    expect(types).toEqual({
      t2u_verify_build_info: 'gauge',
      t2u_verify_verifications_total: 'counter',
      t2u_verify_verification_duration_seconds: 'histogram',
      t2u_verify_jobs_released_total: 'counter',
      t2u_verify_queue_depth: 'gauge',
      t2u_verify_store_up: 'gauge',
      t2u_verify_intake_requests_total: 'counter',
      t2u_verify_alerts_total: 'counter',
      t2u_verify_alerts_raised_total: 'counter',
      t2u_verify_unverifiable_archive_uploads: 'gauge',
    });
    // Every verdict and alert event is present from the start, at 0.
    expect(fs.get('t2u_verify_verifications_total')?.samples.map((s) => [s.labels['verdict'], s.value])).toEqual([
      ['reproduced', 1],
      ['equivalent', 0],
      ['mismatch', 1],
      ['rejected', 0],
      ['unverifiable', 1],
    ]);
    expect(value(fs, 't2u_verify_alerts_raised_total', { event: 'alarm' })).toBe(1);
    expect(value(fs, 't2u_verify_alerts_raised_total', { event: 'mismatch' })).toBe(0);
    expect(value(fs, 't2u_verify_alerts_total', { outcome: 'delivered' })).toBe(1);
    expect(value(fs, 't2u_verify_alerts_total', { outcome: 'failed' })).toBe(1);
    expect(value(fs, 't2u_verify_jobs_released_total')).toBe(1);
    expect(value(fs, 't2u_verify_intake_requests_total', { route: '/hooks/gitlab', status: '202' })).toBe(2);
    expect(value(fs, 't2u_verify_intake_requests_total', { route: '/api/v1/verifications', status: '401' })).toBe(1);
    // The histogram: cumulative buckets at the documented bounds; only the verdicts with a duration count.
    const buckets = fs.get('t2u_verify_verification_duration_seconds')!.samples.filter((s) => s.name.endsWith('_bucket'));
    expect(buckets.map((s) => s.labels['le'])).toEqual([...DURATION_BUCKETS.map(String), '+Inf']);
    expect(buckets.map((s) => s.value)).toEqual(DURATION_BUCKETS.map((le) => (le >= 45 ? 2 : le >= 0.7 ? 1 : 0)).concat(2));
    expect(value(fs, 't2u_verify_verification_duration_seconds_sum')).toBeCloseTo(45.7);
    expect(value(fs, 't2u_verify_verification_duration_seconds_count')).toBe(2);
    // Read from the store at scrape time.
    expect(fs.get('t2u_verify_queue_depth')?.samples.map((s) => [s.labels['state'], s.value])).toEqual([
      ['ready', 3],
      ['delayed', 1],
      ['running', 2],
    ]);
    expect(value(fs, 't2u_verify_store_up')).toBe(1);
    expect(value(fs, 't2u_verify_unverifiable_archive_uploads')).toBe(4);
  });

  it('when the store does not answer: store_up 0 and no queue depth or archive count, rather than stale or zero ones', async () => {
    const m = new ServiceMetrics();
    parseExposition(await m.render({ ready: 9, delayed: 9, running: 9 }, 9));
    const fs = parseExposition(await m.render(undefined, undefined));
    expect(value(fs, 't2u_verify_store_up')).toBe(0);
    expect(fs.get('t2u_verify_queue_depth')?.samples ?? []).toEqual([]);
    expect(fs.get('t2u_verify_unverifiable_archive_uploads')?.samples ?? []).toEqual([]);
  });

  it('two services in one process keep their registries and counts apart', async () => {
    const a = new ServiceMetrics();
    const b = new ServiceMetrics();
    a.verdict('rejected');
    a.verdict('rejected');
    b.verdict('rejected');
    const [fa, fb] = [parseExposition(await a.render(undefined)), parseExposition(await b.render(undefined))];
    expect(value(fa, 't2u_verify_verifications_total', { verdict: 'rejected' })).toBe(2);
    expect(value(fb, 't2u_verify_verifications_total', { verdict: 'rejected' })).toBe(1);
  });

  it('escapes label values as the format requires', async () => {
    const m = new ServiceMetrics();
    m.request('/a"b\\c\nd', 200);
    const text = await m.render(undefined);
    expect(text).toContain('t2u_verify_intake_requests_total{route="/a\\"b\\\\c\\nd",status="200"} 1');
    parseExposition(text);
  });
});
