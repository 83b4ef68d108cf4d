// A child process appending to a tiled log until it is killed: reads
// {dir, dataDir, keyFile, origin, batches, perBatch} on stdin, prints a line
// per durable batch ("size N").
import { readFileSync } from 'node:fs';
import { ed25519FromPem } from '../../src/publish/ed25519.js';
import { ed25519NoteSigner, ed25519NoteVerifier, ed25519Vkey } from '../../src/publish/signed-note.js';
import { TiledLog } from '../../src/publish/tiled-log.js';
import { SqliteLogStore } from '../../src/store/sqlite-log-store.js';

const input = JSON.parse(readFileSync(0, 'utf8')) as { dir: string; dataDir: string; keyFile: string; origin: string; batches: number; perBatch: number };
const key = ed25519FromPem(readFileSync(input.keyFile));
const store = new SqliteLogStore({ dataDir: input.dataDir });
const log = await TiledLog.open({
  dir: input.dir,
  store,
  origin: input.origin,
  signer: ed25519NoteSigner(input.origin, key),
  verifier: ed25519NoteVerifier(ed25519Vkey(input.origin, key)),
});
process.stdout.write(`open ${log.current.size}\n`);
for (let b = 0; b < input.batches; b++) {
  const base = log.current.size;
  await Promise.all(
    Array.from({ length: input.perBatch }, (_, i) => log.append({ entry: Buffer.from(`{"leaf":${base + i},"pid":${process.pid}}`), dscSha256: null })),
  );
  process.stdout.write(`size ${log.current.size}\n`);
}
await store.close();
