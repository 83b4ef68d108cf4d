// kill -9 of a whole `serve` process while attestations are being appended
// (test/publish/serve-child.ts: the real service, its SQLite store and log,
// with a stand-in verification), then a restart on the same data directory:
// the log audits as any client would audit it (signature, root from tiles,
// every entry re-hashed) and is consistent with the checkpoint a client saw
// just before the kill, so it never forked; Go's sumdb/tlog rebuilds it; and
// every finished job is attested exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { auditLog, LogClient, SeenStore, type SeenCheckpoint } from '../../src/publish/log-client.js';
import { apiHeaders, waitFor } from '../server/service-helpers.js';
import { buildGoTlog } from './go-tlog.js';

const CHILD = fileURLToPath(new URL('./serve-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ORIGIN = 'killed.test/log';
const root = mkdtempSync(join(tmpdir(), 'serve-kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function startServe(dataDir: string): Promise<{ child: ChildProcess; url: string; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin?.end(JSON.stringify({ dataDir, origin: ORIGIN }));
  const exited = new Promise((r) => child.on('exit', r));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    });
    void exited.then(() => reject(new Error('the serve process ended before it listened')));
  });
  return { child, url, exited };
}

/** Asks for verifications, `inFlight` at a time, until stopped; resolves with the tags the service accepted. */
function flood(url: string, prefix: string, inFlight: number): { stop(): Promise<string[]> } {
  let running = true;
  const accepted: string[] = [];
  let n = 0;
  const lanes = Array.from({ length: inFlight }, async () => {
    while (running) {
      const tag = `debian/${prefix}.${n++}-1`;
      try {
        const res = await fetch(`${url}/api/v1/verifications`, {
          method: 'POST',
          headers: { ...apiHeaders, 'content-type': 'application/json' },
          body: JSON.stringify({ repo: 'https://salsa.debian.org/debian/x.git', tag }),
        });
        await res.arrayBuffer();
        if (res.status === 202) accepted.push(tag);
      } catch {
        return; // the process is gone
      }
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(lanes);
      return accepted;
    },
  };
}

describe('kill -9 of the serve process mid-append', () => {
  it('restarts to a log that audits, extends the checkpoint seen before the kill, and attests each finished job once', async () => {
    const dataDir = join(root, 'data');
    const state = new SeenStore(join(root, 'client-state'));
    let vkey: string | undefined;
    let lastSeen: SeenCheckpoint | undefined;
    for (let round = 0; round < 3; round++) {
      const serve = await startServe(dataDir);
      const key = (await (await fetch(`${serve.url}/log/key`)).text()).trim();
      vkey ??= key;
      expect(key).toBe(vkey);
      const client = new LogClient(serve.url, vkey);
      if (round > 0) {
        // After the restart: the same log, grown from the checkpoint seen just before the kill.
        const { current, previous } = await auditLog(client, state, { entries: true });
        expect(previous?.note).toBe(lastSeen?.note);
        expect(current.checkpoint.size).toBeGreaterThanOrEqual(lastSeen?.checkpoint.size ?? 0);
      }
      const load = flood(serve.url, `r${round}`, 24);
      // Kill once the log has grown by a varying amount, between checkpoints or in the middle of one.
      const from = (await client.fetchCheckpoint()).checkpoint.size;
      await waitFor(
        async () => {
          const seen = await client.fetchCheckpoint();
          lastSeen = seen;
          return seen.checkpoint.size >= from + 40 + round * 37 ? true : undefined;
        },
        'the log to grow',
        60_000,
      );
      await state.save(client, lastSeen as SeenCheckpoint);
      serve.child.kill('SIGKILL');
      await serve.exited;
      await load.stop();
    }

    // The last restart: let the jobs left running be leased again and finish.
    const serve = await startServe(dataDir);
    const client = new LogClient(serve.url, vkey as string);
    const { current, previous } = await auditLog(client, state, { entries: true });
    expect(previous?.note).toBe(lastSeen?.note);
    const db = new Database(join(dataDir, 't2u-verify.sqlite'), { readonly: true });
    let logged = 0;
    try {
      const jobs = () => db.prepare("SELECT count(*) AS n, sum(status = 'done') AS done FROM jobs").get() as { n: number; done: number };
      await waitFor(() => (jobs().done === jobs().n ? true : undefined), 'every job to finish', 60_000);
      const done = jobs().done;
      const final = await waitFor(
        async () => {
          const seen = await client.fetchCheckpoint();
          return seen.checkpoint.size === done ? seen : undefined;
        },
        `a checkpoint of the ${done} finished jobs`,
        60_000,
      );
      expect(final.checkpoint.size).toBeGreaterThanOrEqual(current.checkpoint.size);
      await auditLog(client, state, { entries: true });
      const leaves = db.prepare('SELECT count(*) AS n, count(DISTINCT job_id) AS jobs FROM log_leaves').get() as {
        n: number;
        jobs: number;
      };
      expect(leaves).toEqual({ n: done, jobs: done });
      logged = done;
    } finally {
      db.close();
      serve.child.kill('SIGKILL');
      await serve.exited;
    }
    // Go's implementation rebuilds the same log from the files.
    const go = JSON.parse(buildGoTlog(join(root, 'go'))(['verify', join(dataDir, 'log'), vkey as string])) as { size: number };
    expect(go.size).toBe(logged);
  });
});
