// The open-loop loads of bench/open-loop.ts (webhooks or GETs) in a process
// of its own, so that the load generator does not share an event loop with
// the service it measures: reads {kind, base, rate, seconds, label, paths, ok}
// as JSON on stdin, prints the LoadResult as JSON.
import { readFileSync } from 'node:fs';
import { offerGets, offerWebhooks } from './open-loop.js';

const input = JSON.parse(readFileSync(0, 'utf8')) as {
  kind?: 'webhooks' | 'gets';
  base: string;
  rate: number;
  seconds: number;
  label?: string;
  paths?: string[];
  ok?: number;
};
const result =
  input.kind === 'webhooks'
    ? await offerWebhooks(input.base, input.label ?? 'child', input.rate, input.seconds)
    : await offerGets(input.base, input.rate, input.seconds, input.paths ?? ['/'], input.ok);
process.stdout.write(`${JSON.stringify(result)}\n`);
