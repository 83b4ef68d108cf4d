// Bytes from outside that are not the format they claim to be: a control file,
// a .dsc, a clearsigned frame, a git object, a pkt-line stream, OpenPGP armor
// or packets, a checkpoint. The parsers throw it and name the format; the
// caller, which knows what the bytes were for, decides which reason (if any)
// it becomes, as a VerificationError or a reason in its result.

export type Format =
  | 'deb822'
  | 'dsc'
  | 'clearsigned'
  | 'checksum-list'
  | 'file-name'
  | 'git-tag'
  | 'git-object'
  | 'pkt-line'
  | 'armor'
  | 'openpgp-packet'
  | 'checkpoint';

export class FormatError extends Error {
  override readonly name = 'FormatError';
  /** 1-based line of a text format, where the parser knows it. */
  readonly line?: number;
  /** Byte offset of a binary format, where the parser knows it. */
  readonly offset?: number;
  constructor(
    readonly format: Format,
    message: string,
    options?: { readonly cause?: unknown; readonly line?: number; readonly offset?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.line !== undefined) this.line = options.line;
    if (options?.offset !== undefined) this.offset = options.offset;
  }
}

/** Whether `err` is a FormatError, of one of `formats` when any are given. */
export function isFormatError(err: unknown, ...formats: readonly Format[]): err is FormatError {
  return err instanceof FormatError && (formats.length === 0 || formats.includes(err.format));
}
