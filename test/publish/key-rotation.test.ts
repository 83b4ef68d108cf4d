// Rotating the log key: `t2u-verify log key rotate` retires the log (its
// files and key, still verifiable with the old vkey, by us and by Go's
// sumdb/tlog), the service then publishes a new log under the new origin and
// key that begins with the old entries, and attestations signed by the old
// key still count in consensus, through the retired key listed at
// /attestations/key. A rotation that cannot be done changes nothing.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { registerLog } from '../../src/cli/log-command.js';
import { openAttestation } from '../../src/publish/attestation.js';
import { parseCheckpoint } from '../../src/publish/checkpoint.js';
import { consensus } from '../../src/publish/consensus.js';
import { logConfigSchema } from '../../src/publish/log-config.js';
import { openPublisher, type Publisher } from '../../src/publish/publisher.js';
import { ed25519NoteVerifier, openNote } from '../../src/publish/signed-note.js';
import { decodeBundle } from '../../src/publish/tiles.js';
import { ServiceMetrics } from '../../src/server/api/metrics.js';
import { buildServiceApp } from '../../src/server/service-app.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Job } from '../../src/store/store.js';
import { runCommand } from '../helpers/cli.js';
import { finishedJob } from '../helpers/finished-job.js';
import { verifyReport } from '../server/service-helpers.js';
import { buildGoTlog } from './go-tlog.js';

const root = mkdtempSync(join(tmpdir(), 'key-rotation-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dscSha = (i: number): string => (i + 1).toString(16).padStart(64, 'a');

function job(i: number): Job {
  return finishedJob({
    id: String(i),
    tag: `t${i}`,
    verdict: 'reproduced',
    report: { ...verifyReport({ repo: 'r', tag: `t${i}` }), upload: { origin: 'x', dsc: 'x.dsc', sha256: dscSha(i) } },
  });
}

async function rotate(args: string[]): Promise<{ code: number | undefined; stdout: string; error?: Error }> {
  const r = await runCommand(registerLog, ['log', 'key', 'rotate', ...args]);
  return { code: r.code, stdout: r.stdout, error: r.error as Error | undefined };
}

const open = (dataDir: string, origin: string): Promise<Publisher> => openPublisher({ dataDir, log: logConfigSchema.parse({ origin }) });

describe('log key rotate', () => {
  it('retires the log and its key; the new log under the new origin begins with the old entries; old attestations still count', async () => {
    const dataDir = join(root, 'data');
    const old = await open(dataDir, 'old.test/log');
    for (let i = 0; i < 3; i++) await old.attestJob(job(i));
    const oldVkey = old.logVkey;
    const oldNote = old.log.current.note;
    await old.close();

    // What cannot be done changes nothing.
    for (const [args, why] of [
      [['--data-dir', dataDir, '--origin', 'old.test/log'], /an origin other than/],
      [['--data-dir', dataDir, '--origin', 'has space'], /printable ASCII/],
      [['--data-dir', join(root, 'empty'), '--origin', 'new.test/log'], /no log to rotate/],
      [['--data-dir', dataDir, '--origin', 'new.test/log', '--key-file', join(root, 'none.pem')], /cannot read the key/],
    ] as const) {
      const r = await rotate([...args]);
      expect(r.error?.name).toBe('UsageError');
      expect(r.error?.message).toMatch(why);
      expect(readFileSync(join(dataDir, 'log', 'checkpoint'), 'utf8')).toBe(oldNote);
    }

    const r = await rotate(['--data-dir', dataDir, '--origin', 'new.test/log']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`old vkey: ${oldVkey}`);
    const retired = join(dataDir, 'retired-logs', 'old.test_log-3');
    expect(readFileSync(join(retired, 'log', 'checkpoint'), 'utf8')).toBe(oldNote);
    expect(statSync(join(dataDir, 'log-key.pem')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dataDir, 'log'))).toBe(false);
    const go = buildGoTlog(join(root, 'go'));
    expect((JSON.parse(go(['verify', join(retired, 'log'), oldVkey])) as { size: number }).size).toBe(3);

    // The service under the new origin: a new log, new key, the old entries first.
    const fresh = await open(dataDir, 'new.test/log');
    expect(r.stdout).toContain(`new vkey: ${fresh.logVkey}`);
    expect(fresh.logVkey).not.toBe(oldVkey);
    expect(fresh.attestationVkeys).toEqual([fresh.logVkey, oldVkey]);
    const cp = parseCheckpoint(openNote(fresh.log.current.note, [ed25519NoteVerifier(fresh.logVkey)]).text);
    expect(cp.size).toBe(3);
    await fresh.attestJob(job(3));
    expect((JSON.parse(go(['verify', join(dataDir, 'log'), fresh.logVkey])) as { size: number }).size).toBe(4);
    const entries = decodeBundle(readFileSync(join(dataDir, 'log', 'tile', 'entries', '000.p', '4')));
    expect(decodeBundle(readFileSync(join(retired, 'log', 'tile', 'entries', '000.p', '3')))).toEqual(entries.slice(0, 3));
    // An old attestation verifies with the retired key only.
    expect(openAttestation(entries[0] as Buffer, fresh.logVkey).ok).toBe(false);
    expect(openAttestation(entries[0] as Buffer, fresh.attestationVkeys).ok).toBe(true);

    const store = new SqliteStore({ dataDir: join(root, 'jobs') });
    const app = await buildServiceApp({ store, metrics: new ServiceMetrics(), log: pino({ level: 'silent' }), publisher: fresh });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      expect(await (await fetch(`${url}/attestations/key`)).text()).toBe(`${fresh.logVkey}\n${oldVkey}\n`);
      const verifiers = [{ name: 'rotated', baseUrl: url, vkey: fresh.logVkey, witnessVkeys: [] }];
      expect((await consensus(dscSha(0), verifiers, 1, join(root, 'state'))).result).toBe('agreed');
      expect((await consensus(dscSha(3), verifiers, 1, join(root, 'state'))).result).toBe('agreed');
    } finally {
      await app.close();
      await fresh.close();
      await store.close();
    }
    // A second rotation retires the new log beside the first.
    expect((await rotate(['--data-dir', dataDir, '--origin', 'third.test/log'])).code).toBe(0);
    expect(existsSync(join(dataDir, 'retired-logs', 'new.test_log-4', 'log', 'checkpoint'))).toBe(true);
    expect(
      readFileSync(join(dataDir, 'retired-attestation-keys'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('+')),
    ).toHaveLength(2);
  });
});
