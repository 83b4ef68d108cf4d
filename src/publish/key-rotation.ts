// Rotating the log key (docs/transparency.md, "Keys, and rotating them"). A
// log is its origin and its key: a new key means a new log, under a new
// origin. `rotateLogKey` (run with the service stopped) retires the current
// log: its directory (checkpoint and tiles, unchanged, still servable as
// static files and auditable with the old vkey) and its key move to
// DATA_DIR/retired-logs/ORIGIN-SIZE/, a new key is made where the old one was,
// and the old vkey is added to DATA_DIR/retired-attestation-keys, so that
// attestations it signed still verify. On its next start under the new
// origin, the service publishes the new log, whose first entries are the old
// log's, in the same order (the store's leaf order is kept).
import { appendFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseCheckpoint } from './checkpoint.js';
import { GENERATED_KEY_FILE, loadKeyFile, loadOrCreateKey } from './log-keys.js';
import { ed25519NoteVerifier, ed25519Vkey, openNote, parseVkey } from './signed-note.js';
import { UsageError } from '../report/usage-error.js';

export const RETIRED_ATTESTATION_KEYS = 'retired-attestation-keys';
export const RETIRED_LOGS = 'retired-logs';

/** The vkeys of retired attestation keys, one a line (`#` starts a comment); none when the file is absent. */
export async function readRetiredAttestationKeys(dataDir: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(dataDir, RETIRED_ATTESTATION_KEYS), 'utf8');
  } catch {
    return [];
  }
  const keys = text
    .split('\n')
    .map((l) => l.split('#')[0]?.trim() ?? '')
    .filter((l) => l !== '');
  for (const k of keys) parseVkey(k);
  return keys;
}

export interface Rotation {
  readonly oldOrigin: string;
  readonly oldVkey: string;
  readonly oldSize: number;
  readonly newOrigin: string;
  readonly newVkey: string;
  /** Where the old log's directory and key now are. */
  readonly retiredDir: string;
}

const safeName = (origin: string): string => origin.replace(/[^A-Za-z0-9._-]+/g, '_');

export async function rotateLogKey(options: {
  readonly dataDir: string;
  readonly newOrigin: string;
  readonly keyFile?: string;
}): Promise<Rotation> {
  const { dataDir, newOrigin } = options;
  if (!/^[\x21-\x7e]+$/.test(newOrigin) || newOrigin.includes('+'))
    throw new UsageError(`--origin ${JSON.stringify(newOrigin)}: an origin is printable ASCII without spaces or "+"`);
  const logDir = join(dataDir, 'log');
  const keyPath = options.keyFile ?? join(dataDir, GENERATED_KEY_FILE);
  let note: Buffer;
  try {
    note = await readFile(join(logDir, 'checkpoint'));
  } catch {
    throw new UsageError(`${logDir}/checkpoint: no log to rotate`);
  }
  const origin = note.toString('utf8').split('\n')[0] ?? '';
  const oldKey = await loadKeyFile(keyPath).catch((e: unknown) => {
    throw new UsageError((e as Error).message);
  });
  const oldVkey = ed25519Vkey(origin, oldKey);
  let oldSize: number;
  try {
    oldSize = parseCheckpoint(openNote(note, [ed25519NoteVerifier(oldVkey)]).text).size;
  } catch (e) {
    throw new UsageError(`${logDir}/checkpoint does not verify with ${keyPath}: ${(e as Error).message}`);
  }
  if (newOrigin === origin) throw new UsageError(`the new log needs an origin other than ${origin}`);
  const retiredDir = join(dataDir, RETIRED_LOGS, `${safeName(origin)}-${oldSize}`);
  if (
    await stat(retiredDir).then(
      () => true,
      () => false,
    )
  )
    throw new UsageError(`${retiredDir} exists already`);
  await mkdir(retiredDir, { recursive: true, mode: 0o700 });
  // The old attestations stay verifiable: their key is listed at /attestations/key after the current one.
  await appendFile(
    join(dataDir, RETIRED_ATTESTATION_KEYS),
    `# ${origin}, retired at size ${oldSize} on ${new Date().toISOString()}\n${oldVkey}\n`,
    { mode: 0o644 },
  );
  await rename(logDir, join(retiredDir, 'log'));
  await rename(keyPath, join(retiredDir, 'log-key.pem'));
  // A new key where the old one was (made exclusively at mode 0600).
  const newKey = await loadOrCreateKey(dirname(keyPath), undefined, basename(keyPath));
  return { oldOrigin: origin, oldVkey, oldSize, newOrigin, newVkey: ed25519Vkey(newOrigin, newKey), retiredDir };
}
