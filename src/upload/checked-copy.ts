// Copies one file of an upload into the private directory while hashing it,
// and stops as soon as it grows past the size it must have: a file listed in
// a .dsc is never kept, and never read further, once it cannot match. The
// check is on the bytes written, so what is checked is what is later used.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { VerificationError } from '../report/verification-error.js';

export interface Expected {
  readonly size: number;
  /** Lower-case hex SHA-256. */
  readonly sha256: string;
}

export interface Copied {
  readonly size: number;
  readonly sha256: string;
}

/**
 * Streams `source` into the new file `dest` (created exclusively, mode 0600).
 * With `expect`, more bytes than its size, a shorter file or another SHA-256
 * is UPLOAD_CHECKSUM_MISMATCH; without, more than `maxBytes` is UPLOAD_TOO_LARGE.
 * `what` names the file in messages; `claim` names who states the checksum.
 */
export async function checkedCopy(
  source: AsyncIterable<Uint8Array>,
  dest: string,
  opts: { what: string; claim: string; expect?: Expected; maxBytes: number },
): Promise<Copied> {
  const limit = opts.expect ? opts.expect.size : opts.maxBytes;
  const hash = createHash('sha256');
  const fh = await open(dest, 'wx', 0o600);
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > limit) {
        if (source instanceof Readable) source.destroy();
        if (opts.expect)
          throw new VerificationError(
            'UPLOAD_CHECKSUM_MISMATCH',
            `${opts.what} is larger than the ${opts.expect.size} bytes ${opts.claim} says`,
          );
        throw new VerificationError('UPLOAD_TOO_LARGE', `${opts.what} is larger than the limit of ${opts.maxBytes} bytes`);
      }
      hash.update(chunk);
      await fh.write(chunk);
    }
  } finally {
    await fh.close();
  }
  const sha256 = hash.digest('hex');
  if (opts.expect) {
    if (size !== opts.expect.size)
      throw new VerificationError('UPLOAD_CHECKSUM_MISMATCH', `${opts.what} has ${size} bytes; ${opts.claim} says ${opts.expect.size}`);
    if (sha256 !== opts.expect.sha256)
      throw new VerificationError(
        'UPLOAD_CHECKSUM_MISMATCH',
        `${opts.what} has SHA-256 ${sha256}; ${opts.claim} says ${opts.expect.sha256}`,
      );
  }
  return { size, sha256 };
}
