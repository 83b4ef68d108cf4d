// A bounded unified diff of two texts, in GNU `diff -u` form (without the
// header timestamps), for showing a person what changed in a tarball member.
// The common prefix and suffix are trimmed, then jsdiff's Myers search
// (diffArrays) finds the edit script of the middle; past its edit-length or
// time cap the differing middle is shown as one replacement (still a correct
// diff, only not minimal). The hunks are laid out as GNU diff lays them out
// (context, ranges, "\ No newline at end of file"). The output is capped in
// lines and bytes and then says it was truncated.
//
// jsdiff's array diff is imported alone (its package exports lib/*.js):
// its index would load every diff kind, 19 modules that a verify without a
// difference to show loads for nothing.
import { diffArrays } from 'diff/lib/diff/array.js';

export interface UnifiedDiffLimits {
  /** Lines of context around each change, as `diff -U`. Default 3. */
  context?: number;
  /** Output lines (headers included) before the truncation marker. Default 500. */
  maxLines?: number;
  /** Output bytes (UTF-16 code units) before the truncation marker. Default 64 KiB. */
  maxBytes?: number;
  /** Edit length (lines added and removed) past which the search stops and the differing middle is one replacement. Default 10 000. */
  maxEditLength?: number;
  /** Time past which the search stops, likewise, in ms. Default 2000. */
  timeoutMs?: number;
}

export const DEFAULT_DIFF_LIMITS: Required<UnifiedDiffLimits> = {
  context: 3,
  maxLines: 500,
  maxBytes: 64 * 1024,
  maxEditLength: 10_000,
  timeoutMs: 2_000,
};

/** GNU diff's marker for a last line without a newline. */
const NO_NEWLINE = '\\ No newline at end of file';

type Op = 0 | 1 | 2; // equal, delete (from a), insert (from b)
const EQ: Op = 0;
const DEL: Op = 1;
const INS: Op = 2;

/**
 * The unified diff from `a` to `b`, or '' when they are equal. Lines keep
 * their newline, so a last line without one differs from the same line with
 * one, as in GNU diff.
 */
export function unifiedDiff(a: string, b: string, aName: string, bName: string, limits: UnifiedDiffLimits = {}): string {
  if (a === b) return '';
  const lim = { ...DEFAULT_DIFF_LIMITS, ...limits };
  const la = splitLines(a);
  const lb = splitLines(b);
  const ops = editScript(la, lb, lim);
  const out = new BoundedOutput(lim.maxLines, lim.maxBytes);
  out.push(`--- ${aName}`);
  out.push(`+++ ${bName}`);
  for (const hunk of hunks(ops, lim.context)) emitHunk(out, hunk, ops, la, lb);
  return out.finish();
}

/** Splits after each "\n"; a final line without one is kept as it is. */
export function splitLines(s: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = s.indexOf('\n', start);
    if (nl < 0) break;
    lines.push(s.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < s.length) lines.push(s.slice(start));
  return lines;
}

/** The edit script from `a` to `b` as a list of operations, one per line. */
function editScript(a: readonly string[], b: readonly string[], lim: Required<UnifiedDiffLimits>): Op[] {
  // Lines as small integers: comparisons in the search are then cheap.
  const ids = new Map<string, number>();
  const idOf = (l: string): number => {
    let id = ids.get(l);
    if (id === undefined) ids.set(l, (id = ids.size));
    return id;
  };
  const A = Array.from(a, idOf);
  const B = Array.from(b, idOf);
  let pre = 0;
  while (pre < A.length && pre < B.length && A[pre] === B[pre]) pre++;
  let suf = 0;
  while (suf < A.length - pre && suf < B.length - pre && A[A.length - 1 - suf] === B[B.length - 1 - suf]) suf++;
  const n = A.length - pre - suf;
  const m = B.length - pre - suf;
  // jsdiff's Myers search, abandoned (undefined) past the edit-length or time cap.
  const changes =
    n === 0 || m === 0
      ? undefined
      : diffArrays(A.slice(pre, pre + n), B.slice(pre, pre + m), { maxEditLength: lim.maxEditLength, timeout: lim.timeoutMs });
  const ops: Op[] = new Array<Op>(pre).fill(EQ);
  if (changes === undefined) {
    ops.push(...replacement(n, m));
  } else {
    for (const c of changes) ops.push(...new Array<Op>(c.count).fill(c.added ? INS : c.removed ? DEL : EQ));
  }
  for (let i = 0; i < suf; i++) ops.push(EQ);
  return ops;
}

function replacement(n: number, m: number): Op[] {
  return [...new Array<Op>(n).fill(DEL), ...new Array<Op>(m).fill(INS)];
}

interface Hunk {
  /** Range of operations [from, to). */
  from: number;
  to: number;
}

/** Groups changes whose context would touch or overlap, as GNU diff does (a gap of at most 2×context lines). */
function hunks(ops: readonly Op[], context: number): Hunk[] {
  const out: Hunk[] = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i] === EQ) {
      i++;
      continue;
    }
    const from = Math.max(0, i - context);
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end] !== EQ) end++;
      let next = end;
      while (next < ops.length && ops[next] === EQ) next++;
      if (next < ops.length && next - end <= 2 * context) {
        end = next;
        continue;
      }
      break;
    }
    const to = Math.min(ops.length, end + context);
    out.push({ from, to });
    i = to;
  }
  return out;
}

function emitHunk(out: BoundedOutput, h: Hunk, ops: readonly Op[], a: readonly string[], b: readonly string[]): void {
  let ai = 0;
  let bi = 0;
  for (let i = 0; i < h.from; i++) {
    if (ops[i] !== INS) ai++;
    if (ops[i] !== DEL) bi++;
  }
  let aCount = 0;
  let bCount = 0;
  for (let i = h.from; i < h.to; i++) {
    if (ops[i] !== INS) aCount++;
    if (ops[i] !== DEL) bCount++;
  }
  out.push(`@@ -${range(ai, aCount)} +${range(bi, bCount)} @@`);
  let i = h.from;
  while (i < h.to) {
    if (ops[i] === EQ) {
      line(out, ' ', a[ai]!);
      ai++;
      bi++;
      i++;
      continue;
    }
    // One change: GNU diff prints its deleted lines, then its inserted ones.
    let j = i;
    const dels: string[] = [];
    const inss: string[] = [];
    for (; j < h.to && ops[j] !== EQ; j++) {
      if (ops[j] === DEL) dels.push(a[ai++]!);
      else inss.push(b[bi++]!);
    }
    for (const l of dels) line(out, '-', l);
    for (const l of inss) line(out, '+', l);
    i = j;
  }
}

/** GNU diff's range: "start,count", "start" when count is 1, and the line before when count is 0. */
function range(start0: number, count: number): string {
  if (count === 0) return `${start0},0`;
  if (count === 1) return `${start0 + 1}`;
  return `${start0 + 1},${count}`;
}

function line(out: BoundedOutput, sign: string, l: string): void {
  if (l.endsWith('\n')) {
    out.push(sign + l.slice(0, -1));
  } else {
    out.push(sign + l);
    out.push(NO_NEWLINE);
  }
}

/** Collects output lines up to the caps, then counts what it drops. */
class BoundedOutput {
  private readonly lines: string[] = [];
  private bytes = 0;
  private dropped = 0;
  constructor(
    private readonly maxLines: number,
    private readonly maxBytes: number,
  ) {}

  push(l: string): void {
    if (this.dropped > 0) {
      this.dropped++;
      return;
    }
    const cost = l.length + 1;
    if (this.lines.length >= this.maxLines || this.bytes + cost > this.maxBytes) {
      // A line longer than what is left is cut, so one huge line still shows its start.
      const room = this.maxBytes - this.bytes - 1;
      if (this.lines.length < this.maxLines && room > 40) {
        this.lines.push(l.slice(0, room));
        this.bytes = this.maxBytes;
      }
      this.dropped = 1;
      return;
    }
    this.lines.push(l);
    this.bytes += cost;
  }

  finish(): string {
    if (this.dropped > 0) this.lines.push(`... diff truncated: ${this.dropped} more line${this.dropped === 1 ? '' : 's'} not shown`);
    return this.lines.map((l) => `${l}\n`).join('');
  }
}
