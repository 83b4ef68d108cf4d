// c2sp.org/tlog-checkpoint: the note body a log signs, three lines (origin,
// decimal tree size without leading zeroes, base64 root hash) and optional
// non-empty extension lines.
import { HASH_SIZE, type Hash } from './merkle.js';
import { FormatError } from '../report/format-error.js';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Hash;
  readonly extensions: readonly string[];
}

export function formatCheckpoint(cp: Checkpoint): string {
  if (cp.origin === '' || cp.origin.includes('\n')) throw new FormatError('checkpoint', 'the origin is one non-empty line');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new FormatError('checkpoint', 'the size is a non-negative integer');
  if (cp.root.length !== HASH_SIZE) throw new FormatError('checkpoint', 'the root hash is 32 bytes');
  const ext = cp.extensions.map((e) => {
    if (e === '' || e.includes('\n')) throw new FormatError('checkpoint', 'an extension is one non-empty line');
    return `${e}\n`;
  });
  return `${cp.origin}\n${cp.size}\n${cp.root.toString('base64')}\n${ext.join('')}`;
}

/** Parses a checkpoint's note text (the part before the signatures). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new FormatError('checkpoint', 'the checkpoint text ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === undefined || origin === '') throw new FormatError('checkpoint', 'the checkpoint has no origin line');
  if (sizeText === undefined || !/^(?:0|[1-9][0-9]{0,15})$/.test(sizeText))
    throw new FormatError('checkpoint', 'the size line is not a decimal size');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new FormatError('checkpoint', 'the size is too large');
  const root = Buffer.from(rootText ?? '', 'base64');
  if (rootText === undefined || root.length !== HASH_SIZE || root.toString('base64') !== rootText) {
    throw new FormatError('checkpoint', 'the root line is not the base64 of a 32-byte hash');
  }
  if (extensions.some((e) => e === '')) throw new FormatError('checkpoint', 'an extension line is empty');
  return { origin, size, root, extensions };
}
