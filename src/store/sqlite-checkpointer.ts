// The WAL checkpointer of one SQLite file, on a thread of its own
// (started by src/store/sqlite-thread-client.ts beside the store's thread).
// SQLite's default is to checkpoint on the committing connection, inside the
// commit that takes the WAL past 1,000 pages: that commit then also copies
// the WAL's pages into the database and fsyncs the database file, and every
// acknowledgement waiting behind it waits for that too (a commit of one job
// writes about ten pages, so at 500 jobs a second one commit in a hundred).
// The store's connections on its thread therefore never checkpoint
// (wal_autocheckpoint=0, sqlite-connection.ts), and this thread runs a
// PASSIVE checkpoint every CHECKPOINT_INTERVAL_MS on a connection of its own:
// it copies what is committed without taking the write lock, so commits go on
// meanwhile. Durability is unchanged: a commit is durable once its WAL frames
// are synced (synchronous=FULL), whoever copies them into the database later.
// Under a flood that never pauses, a PASSIVE checkpoint never catches up with
// the last commit, and SQLite starts the WAL again from its beginning only once
// one has; so when the WAL holds more than WAL_LIMIT_FRAMES, a RESTART
// checkpoint follows, which holds new commits back while it copies the few
// frames written since the PASSIVE one and syncs the database: the WAL's size
// stays bounded, at the cost of one such wait per WAL_LIMIT_FRAMES frames
// (four times fewer than SQLite's own checkpoints, and without their copying).
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from './sqlite-connection.js';

/** How often the WAL is checkpointed. */
export const CHECKPOINT_INTERVAL_MS = 200;
/** Frames (pages) the WAL may hold before a checkpoint makes SQLite start it again: 16 MiB of 4 KiB pages. */
export const WAL_LIMIT_FRAMES = 4096;

const { file } = workerData as { file: string };
const db = openSqlite(file, 'FULL');
// A checkpoint that would have to wait (for a commit under way, or for a reader
// still on old frames) gives up at once and is tried again next turn: a
// RESTART checkpoint that waited would hold every commit back meanwhile.
db.pragma('busy_timeout = 0');
const port = parentPort!;
let stopped = false;
const timer = setInterval(() => {
  if (stopped) return;
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    if (passive !== undefined && passive.log > WAL_LIMIT_FRAMES) db.pragma('wal_checkpoint(RESTART)');
  } catch (e) {
    // Another process's checkpoint, or a writer resetting the WAL: the next turn tries again.
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY')) throw e;
  }
}, CHECKPOINT_INTERVAL_MS);
port.on('message', (m: { stop?: boolean }) => {
  if (m.stop !== true) return;
  stopped = true;
  clearInterval(timer);
  db.close();
  port.close();
});
