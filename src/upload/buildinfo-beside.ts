// The service's SRC_VER_source.buildinfo beside a .dsc on the local disk
// (docs/architecture.md §1, fact 5: tag2upload uploads one with every .dsc).
// Read only to order the builder profiles (reconstruct/profile-hints.ts,
// builderHint): it is not verified, compared or reported as evidence, and a
// missing, unreadable or oversized one is simply absent.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { MAX_BUILDINFO_BYTES, type Dsc } from '../deb822/dsc.js';
import { fileInside, isPlainFileName } from '../deb822/file-name.js';

/** The name dgit gives it: SOURCE_VERSION-without-epoch_source.buildinfo. */
export function buildinfoName(dsc: Pick<Dsc, 'source' | 'version'>): string {
  return `${dsc.source}_${dsc.version.replace(/^\d+:/, '')}_source.buildinfo`;
}

/** Its bytes when `dir` holds one for the .dsc's source and version; undefined otherwise. */
export async function buildinfoBeside(dir: string, dsc: Pick<Dsc, 'source' | 'version'>): Promise<Uint8Array | undefined> {
  const name = buildinfoName(dsc);
  if (!isPlainFileName(name)) return undefined;
  let handle;
  try {
    // O_NONBLOCK: a FIFO of that name is not waited on (it is then refused as no regular file).
    handle = await open(fileInside(dir, name), constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.size > MAX_BUILDINFO_BYTES) return undefined;
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await handle.read(buf, 0, st.size, 0);
    return new Uint8Array(buf.buffer, buf.byteOffset, bytesRead);
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}
