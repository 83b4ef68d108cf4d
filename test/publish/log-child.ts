// A child process appending to a tiled log until it is killed or has made
// its batches: reads {dir, dataDir, keyFile, origin, batches, perBatch, tag?}
// on stdin, prints a line per durable batch ("size N" then "idx I,J,…", the
// batch's indexes). The leaf order is on the SQLite thread, as in the service.
import { readFileSync } from 'node:fs';
import { ed25519FromPem } from '../../src/publish/ed25519.js';
import { ed25519NoteSigner, ed25519NoteVerifier, ed25519Vkey } from '../../src/publish/signed-note.js';
import { TiledLog } from '../../src/publish/tiled-log.js';
import { openLogStore } from '../../src/store/open-log-store.js';

const input = JSON.parse(readFileSync(0, 'utf8')) as {
  dir: string;
  dataDir: string;
  keyFile: string;
  origin: string;
  batches: number;
  perBatch: number;
  tag?: string;
};
const key = ed25519FromPem(readFileSync(input.keyFile));
const store = await openLogStore({ dataDir: input.dataDir });
const log = await TiledLog.open({
  dir: input.dir,
  store,
  origin: input.origin,
  signer: ed25519NoteSigner(input.origin, key),
  verifier: ed25519NoteVerifier(ed25519Vkey(input.origin, key)),
});
process.stdout.write(`open ${log.current.size}\n`);
const tag = input.tag ?? String(process.pid);
for (let b = 0; b < input.batches; b++) {
  const indexes = await Promise.all(
    Array.from({ length: input.perBatch }, (_, i) =>
      log.append({ entry: Buffer.from(`{"writer":"${tag}","n":${b * input.perBatch + i}}`), dscSha256: null }),
    ),
  );
  process.stdout.write(`size ${log.current.size}\nidx ${indexes.join(',')}\n`);
}
await log.drain();
await store.close();
