// One fetch with the verifier's fetch stage (compiled CLI code in dist/), for
// bench/fetch.bench.ts to time and measure in a process of its own: the tag
// alone at depth 1, as `check-tag` fetches it; or, when an upstream tag is
// given, as `verify` fetches them: the tag with its whole history, then the
// upstream tag with its history, naming the first as `have`.
// Usage: node bench/fetch-one.mjs URL TAG [UPSTREAM_TAG]
import { RemoteRepository } from '../dist/fetch/remote-repository.js';

const [url, tag, upstream] = process.argv.slice(2);
const t0 = performance.now();
const repo = await RemoteRepository.open(
  url,
  { allowHttpLoopback: true },
  {
    timeoutMs: 600_000,
    maxPackBytes: 4 * 2 ** 30,
    maxObjectBytes: 2 ** 30,
    maxRefsBytes: 64 << 20,
  },
);
try {
  // As check-tag does: index-pack and the reader start while the refs are listed.
  repo.prepare();
  const ref = await repo.resolveTag(tag);
  if (!ref) throw new Error(`no tag ${tag}`);
  if (upstream) await repo.fetchHistory([ref.oid]);
  else await repo.fetchObjects(ref.oid);
  const obj = await repo.objects().read(ref.oid);
  if (obj?.type !== 'tag') throw new Error('tag object not readable after the fetch');
  if (upstream) {
    const up = await repo.resolveTag(upstream);
    if (!up) throw new Error(`no tag ${upstream}`);
    await repo.fetchHistory([up.oid]);
  }
  // Pack bytes and the in-process time (without Node's start-up and module loading).
  process.stdout.write(`${repo.packBytes} ${Math.round(performance.now() - t0)}\n`);
} finally {
  await repo.close();
}
