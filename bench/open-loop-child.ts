// The open-loop GET load (bench/open-loop.ts offerGets) in a process of its
// own, so that the load generator does not share an event loop with the
// service it measures: reads {base, rate, seconds, paths} as JSON on stdin,
// prints the LoadResult as JSON.
import { readFileSync } from 'node:fs';
import { offerGets } from './open-loop.js';

const input = JSON.parse(readFileSync(0, 'utf8')) as { base: string; rate: number; seconds: number; paths: string[] };
process.stdout.write(`${JSON.stringify(await offerGets(input.base, input.rate, input.seconds, input.paths))}\n`);
