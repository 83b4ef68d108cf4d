// The service's publisher: keys, the tiled log, and the attestation of every
// finished verification. A job's attestation is appended once the store has
// recorded its final verdict (`attesting` wraps the store the workers use);
// the append runs beside the worker (it does not hold the job's slot), and
// stopping the service waits for appends under way.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { VerifyReport } from '../report/report.js';
import type { LogStore } from '../store/log-store.js';
import { openLogStore } from '../store/open-log-store.js';
import type { Job, Store } from '../store/store.js';
import { attestationVkey, signAttestation, type AttestationKey } from './attestation.js';
import { cosignatureVkey } from './cosignature.js';
import type { Ed25519Key } from './ed25519.js';
import { defaultOrigin, type LogConfig } from './log-config.js';
import { readRetiredAttestationKeys } from './key-rotation.js';
import { loadOrCreateKey } from './log-keys.js';
import { ed25519NoteSigner, ed25519NoteVerifier, ed25519Vkey } from './signed-note.js';
import { verdictStatement } from './statement.js';
import { TiledLog } from './tiled-log.js';
import { requestCosignatures } from './witness-client.js';
import { Witness } from './witness.js';
import { profileTools, VERIFIER_VERSION } from './verifier-facts.js';

function isVerifyReport(value: unknown): value is VerifyReport {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'verify' &&
    typeof (value as { verdict?: unknown }).verdict === 'string'
  );
}

/** How many of the most recent finished jobs are checked for a missing attestation on start. */
const RECONCILE_JOBS = 1000;

export interface Publisher {
  readonly log: TiledLog;
  readonly logStore: LogStore;
  /** The log's note key, served at /log/key. */
  readonly logVkey: string;
  /** The attestation key, served at /attestations/key (the log key unless configured apart). */
  readonly attestationVkey: string;
  /** The current attestation key, then those retired (key-rotation.ts): all served at /attestations/key. */
  readonly attestationVkeys: readonly string[];
  readonly witness: Witness | undefined;
  /** Appends the attestation of a finished job; resolves with its leaf index once durable. */
  attestJob(job: Job): Promise<number | undefined>;
  /** The store, with attestations appended as verdicts are recorded. */
  attesting(store: Store, log: Logger): Store;
  /**
   * Appends the attestations of recently finished jobs that have none (a
   * process stopped between recording a verdict and logging it); resolves
   * with how many were appended.
   */
  reconcile(store: Store, log: Logger): Promise<number>;
  close(): Promise<void>;
}

export interface PublisherSettings {
  readonly dataDir: string;
  readonly database?: string;
  readonly log: LogConfig;
}

export async function openPublisher(settings: PublisherSettings): Promise<Publisher> {
  const cfg = settings.log;
  const origin = cfg.origin ?? defaultOrigin();
  const logKey = await loadOrCreateKey(settings.dataDir, cfg.keyFile);
  const attestation: AttestationKey =
    cfg.attestationKeyFile === undefined
      ? { name: cfg.attestationKeyName ?? origin, key: logKey }
      : { name: cfg.attestationKeyName ?? `${origin}/attestations`, key: await loadOrCreateKey(settings.dataDir, cfg.attestationKeyFile) };
  const logVkey = ed25519Vkey(origin, logKey);
  const retiredKeys = await readRetiredAttestationKeys(settings.dataDir);
  let witness: Witness | undefined;
  if (cfg.witness !== undefined) {
    const wkey: Ed25519Key = await loadOrCreateKey(settings.dataDir, cfg.witness.keyFile, 'witness-key.pem');
    witness = await Witness.open({
      name: cfg.witness.name ?? `${origin}/witness`,
      key: wkey,
      stateDir: join(settings.dataDir, 'witness'),
      logs: cfg.witness.logs,
    });
  }
  const logStore = await openLogStore({ dataDir: settings.dataDir, ...(settings.database !== undefined && { url: settings.database }) });
  let tiled: TiledLog;
  try {
    tiled = await TiledLog.open({
      dir: join(settings.dataDir, 'log'),
      store: logStore,
      origin,
      signer: ed25519NoteSigner(origin, logKey),
      verifier: ed25519NoteVerifier(logVkey),
      ...(cfg.witnesses.length > 0 && {
        cosign: (note: string, previousSize: number) =>
          requestCosignatures(cfg.witnesses, note, previousSize, (from, to) => tiled.consistencyProof(from, to)),
      }),
    });
  } catch (e) {
    await logStore.close();
    throw e;
  }

  // Jobs whose attestation is being appended: reconciling skips them.
  const inFlight = new Set<string>();
  const attestJob = async (job: Job): Promise<number | undefined> => {
    if (job.status !== 'done' || !isVerifyReport(job.report) || inFlight.has(job.id)) return undefined;
    inFlight.add(job.id);
    try {
      return await appendAttestation(job, job.report);
    } finally {
      inFlight.delete(job.id);
    }
  };
  const appendAttestation = (job: Job, stored: VerifyReport): Promise<number> => {
    // The store's verdict is final (a job failed for good is `unverifiable` whatever its last report said).
    const report: VerifyReport =
      job.verdict !== null && job.verdict !== 'authentic' && job.verdict !== stored.verdict ? { ...stored, verdict: job.verdict } : stored;
    const statement = verdictStatement(report, {
      verifierVersion: VERIFIER_VERSION,
      startedOn: job.startedAt ?? job.createdAt,
      finishedOn: job.finishedAt ?? new Date(),
      tools: profileTools(report.reconstruction?.profile),
    });
    return tiled.append({ entry: signAttestation(statement, attestation), dscSha256: report.upload?.sha256 ?? null, jobId: job.id });
  };

  return {
    log: tiled,
    logStore,
    logVkey,
    attestationVkey: attestationVkey(attestation),
    attestationVkeys: [attestationVkey(attestation), ...retiredKeys.filter((k) => k !== attestationVkey(attestation))],
    witness,
    attestJob,
    attesting(store, log) {
      const after = async (id: string): Promise<void> => {
        try {
          const job = await store.get(id);
          if (job === undefined) return;
          const index = await attestJob(job);
          if (index !== undefined) log.info({ jobId: id, leaf: index, verdict: job.verdict }, 'attestation logged');
        } catch (err) {
          log.error({ jobId: id, err }, 'the attestation could not be logged');
        }
      };
      return new Proxy(store, {
        get(target, prop) {
          if (prop === 'complete') {
            return async (...args: Parameters<Store['complete']>) => {
              const ok = await target.complete(...args);
              if (ok) void after(args[0]);
              return ok;
            };
          }
          if (prop === 'fail') {
            return async (...args: Parameters<Store['fail']>) => {
              const result = await target.fail(...args);
              if (result.outcome === 'failed') void after(args[0]);
              return result;
            };
          }
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
    async reconcile(store, log) {
      const recent = (await store.list({ status: 'done', limit: RECONCILE_JOBS })).filter((j) => isVerifyReport(j.report));
      const logged = await logStore.jobsLogged(recent.map((j) => j.id));
      const missing = recent.filter((j) => !logged.has(j.id) && !inFlight.has(j.id)).reverse();
      for (const j of missing) {
        // `list` leaves reports out of listings in some stores: read each job whole.
        const full = (await store.get(j.id)) ?? j;
        await attestJob(full);
      }
      if (missing.length > 0) log.info({ appended: missing.length }, 'attestations of finished jobs logged on start');
      return missing.length;
    },
    async close() {
      await tiled.drain();
      await logStore.close();
    },
  };
}

export { cosignatureVkey };
