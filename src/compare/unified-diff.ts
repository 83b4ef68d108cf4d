// A bounded unified diff of two texts, in GNU `diff -u` form (without the
// header timestamps), for showing a person what changed in a tarball member.
// Myers' O(ND) algorithm after trimming the common prefix and suffix; when
// the edit distance would cost more than a work cap, the differing middle is
// shown as one replacement (still a correct diff, only not minimal). The
// output is capped in lines and bytes and then says it was truncated.

export interface UnifiedDiffLimits {
  /** Lines of context around each change, as `diff -U`. Default 3. */
  context?: number;
  /** Output lines (headers included) before the truncation marker. Default 500. */
  maxLines?: number;
  /** Output bytes (UTF-16 code units) before the truncation marker. Default 64 KiB. */
  maxBytes?: number;
  /** Steps of the Myers search before falling back to one replacement. Default 20 million. */
  maxWork?: number;
}

export const DEFAULT_DIFF_LIMITS: Required<UnifiedDiffLimits> = {
  context: 3,
  maxLines: 500,
  maxBytes: 64 * 1024,
  maxWork: 20_000_000,
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
  const ops = editScript(la, lb, lim.maxWork);
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
function editScript(a: readonly string[], b: readonly string[], maxWork: number): Op[] {
  // Lines as small integers: comparisons in the search are then cheap.
  const ids = new Map<string, number>();
  const idOf = (l: string): number => {
    let id = ids.get(l);
    if (id === undefined) ids.set(l, (id = ids.size));
    return id;
  };
  const A = Int32Array.from(a, idOf);
  const B = Int32Array.from(b, idOf);
  let pre = 0;
  while (pre < A.length && pre < B.length && A[pre] === B[pre]) pre++;
  let suf = 0;
  while (suf < A.length - pre && suf < B.length - pre && A[A.length - 1 - suf] === B[B.length - 1 - suf]) suf++;
  const middle = myers(A.subarray(pre, A.length - suf), B.subarray(pre, B.length - suf), maxWork)
    ?? replacement(A.length - pre - suf, B.length - pre - suf);
  const ops: Op[] = new Array<Op>(pre).fill(EQ);
  for (const op of middle) ops.push(op);
  for (let i = 0; i < suf; i++) ops.push(EQ);
  return ops;
}

function replacement(n: number, m: number): Op[] {
  return [...new Array<Op>(n).fill(DEL), ...new Array<Op>(m).fill(INS)];
}

/**
 * Myers (1986), "An O(ND) difference algorithm": greedy search of the
 * furthest-reaching D-paths, then a walk back through the saved frontiers.
 * Returns undefined when the work exceeds `maxWork`.
 */
function myers(A: Int32Array, B: Int32Array, maxWork: number): Op[] | undefined {
  const n = A.length;
  const m = B.length;
  const max = n + m;
  if (max === 0) return [];
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let work = 0;
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && A[x] === B[y]) {
        x++;
        y++;
        work++;
      }
      v[off + k] = x;
      if (++work > maxWork) return undefined;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    // The frontier after step d, k from -d to d.
    trace.push(v.slice(off - d, off + d + 1));
  }
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d - 1]!;
    const at = (k: number): number => prev[k + d - 1]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const pk = down ? k + 1 : k - 1;
    const px = at(pk);
    const py = px - pk;
    while (x > (down ? px : px + 1) && y > (down ? py + 1 : py)) {
      ops.push(EQ);
      x--;
      y--;
    }
    ops.push(down ? INS : DEL);
    x = px;
    y = py;
  }
  while (x > 0 && y > 0) {
    ops.push(EQ);
    x--;
    y--;
  }
  return ops.reverse();
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
