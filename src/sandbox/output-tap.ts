// Where the output of sandboxed commands also goes, besides their callers:
// the service keeps what each verification printed as its attempt's log
// (docs/service.md, "Build logs"), as rebuilderd keeps a build log. A caller
// runs its work under `withSandboxOutput(sink, …)`; every one-shot sandboxed
// command started inside it, however deep, then writes its command line, its
// stderr and its exit status to the sink, and the build writes dgit's own log
// (reconstruct/build.ts: dgit keeps dpkg-source's messages there). stdout is
// not written: the commands here print data on it (git objects, tarballs).
// Outside such a call nothing is decoded and nothing is written.
import { AsyncLocalStorage } from 'node:async_hooks';

/** Receives text as it is printed; it bounds what it keeps. */
export type OutputSink = (text: string) => void;

const current = new AsyncLocalStorage<OutputSink>();

/** Runs `fn` with `sink` receiving the output of every sandboxed command it starts. */
export function withSandboxOutput<T>(sink: OutputSink, fn: () => Promise<T>): Promise<T> {
  return current.run(sink, fn);
}

/** Writes `text` to the current sink, if there is one. */
export function tapOutput(text: string): void {
  current.getStore()?.(text);
}

const MAX_ARGV_CHARS = 500;

/** A finished command's part of the log: `$ argv`, its stderr, and how it ended. */
export function tapCommand(
  argv: readonly string[],
  result: { readonly stderr: Buffer; readonly exitCode: number | null; readonly signal: string | null; readonly durationMs: number },
): void {
  const sink = current.getStore();
  if (sink === undefined) return;
  const line = argv.join(' ');
  const stderr = result.stderr.toString('utf8');
  const end = result.exitCode !== null ? `exit status ${result.exitCode}` : `killed (${result.signal ?? 'signal'})`;
  sink(
    `$ ${line.length > MAX_ARGV_CHARS ? `${line.slice(0, MAX_ARGV_CHARS)}…` : line}\n${stderr}${stderr === '' || stderr.endsWith('\n') ? '' : '\n'}[${end}, ${(result.durationMs / 1000).toFixed(1)} s]\n`,
  );
}
