// The instance's Ed25519 keys: a configured PKCS#8 PEM file, or one generated
// on first start into the data directory at mode 0600 (created exclusively, so
// two processes starting together end with the same key).
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeNewFile } from './durable-files.js';
import { ed25519FromPem, generateEd25519, type Ed25519Key } from './ed25519.js';

export const GENERATED_KEY_FILE = 'log-key.pem';

export async function loadKeyFile(path: string): Promise<Ed25519Key> {
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read the key: ${(e as Error).message}`);
  }
  try {
    return ed25519FromPem(pem);
  } catch (e) {
    throw new Error(`${path}: not an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519 makes one): ${(e as Error).message}`);
  }
}

/** The configured key, else the data directory's `fileName`, made if absent. */
export async function loadOrCreateKey(dataDir: string, configured?: string, fileName = GENERATED_KEY_FILE): Promise<Ed25519Key> {
  if (configured !== undefined) return loadKeyFile(configured);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, fileName);
  const { pem } = generateEd25519();
  try {
    await writeNewFile(path, pem, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return loadKeyFile(path);
}
