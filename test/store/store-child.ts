// A separate worker process for the store tests, run with `node --import tsx`,
// its command as JSON on stdin.
// `enqueue`: opens its own store and enqueues the given requests, several at a
// time, printing the results as JSON. `claim-and-hang`: claims one job, prints
// it, then does nothing until it is killed (the crash test kills it with
// SIGKILL, so nothing of the store's is closed or released).
import type { EnqueueRequest, StoreOptions } from '../../src/store/store.js';
import { openBackend, type Backend } from './backend.js';

export type ChildCommand =
  | { readonly action: 'enqueue'; readonly backend: Backend; readonly requests: EnqueueRequest[]; readonly parallel: number }
  | { readonly action: 'claim-and-hang'; readonly backend: Backend; readonly leaseMs: number; readonly options?: StoreOptions };

export interface EnqueueOutput {
  readonly results: { id: string; created: boolean }[];
  readonly startedAt: number;
  readonly endedAt: number;
}

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += (chunk as Buffer).toString();
  const command = JSON.parse(input) as ChildCommand;
  const store = await openBackend(command.backend, command.action === 'claim-and-hang' ? command.options : undefined);
  if (command.action === 'enqueue') {
    const results: { id: string; created: boolean }[] = new Array<{ id: string; created: boolean }>(command.requests.length);
    let next = 0;
    const startedAt = Date.now();
    await Promise.all(
      Array.from({ length: command.parallel }, async () => {
        while (next < command.requests.length) {
          const i = next++;
          results[i] = await store.enqueue(command.requests[i]!);
        }
      }),
    );
    const output: EnqueueOutput = { results, startedAt, endedAt: Date.now() };
    process.stdout.write(JSON.stringify(output));
    await store.close();
    return;
  }
  const [job] = await store.claim({ workerId: `child-${process.pid}`, limit: 1, leaseMs: command.leaseMs });
  process.stdout.write(`${JSON.stringify(job ?? null)}\n`);
  setInterval(() => undefined, 60_000);
}

await main();
