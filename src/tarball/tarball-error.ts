// Failures while reading a tarball (src/tarball/: sandboxed decompression,
// the streaming tar reader), as data with stable codes. A tarball is read to
// explain (the human diff, CHECKOUT_MTIME_LEAK) or to choose (the builder
// profile's umask), never to decide: a mismatch is decided by the file
// hashes, so these codes say why members could not be listed; they are not
// reasons and never change a verdict on their own.

export type TarballErrorCode =
  /** The archive ends inside a header or a member's data. */
  | 'TAR_TRUNCATED'
  /** A header's checksum does not match its bytes. */
  | 'TAR_CHECKSUM'
  /** A header field is not a number, is negative where it must not be, or is otherwise malformed. */
  | 'TAR_HEADER_INVALID'
  /** A pax extended header is malformed. */
  | 'TAR_PAX_INVALID'
  /** A member kind the reader refuses (GNU sparse, multi-volume). */
  | 'TAR_UNSUPPORTED'
  /** More members, bytes or header metadata than the configured limits. */
  | 'TAR_LIMIT'
  /** The file name has no compression suffix we know. */
  | 'DECOMPRESS_UNSUPPORTED'
  /** The decompressor is not in the sandbox's root filesystem. */
  | 'DECOMPRESSOR_MISSING'
  /** The decompressor rejected its input or could not be run. */
  | 'DECOMPRESS_FAILED'
  /** The decompressed data exceeds the output cap (a decompression bomb, or a limit set too low). */
  | 'DECOMPRESS_TOO_LARGE'
  /** Decompression took longer than its time limit. */
  | 'DECOMPRESS_TIMEOUT';

export class TarballError extends Error {
  override readonly name = 'TarballError';
  constructor(
    readonly code: TarballErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isTarballError(err: unknown): err is TarballError {
  return err instanceof TarballError;
}
