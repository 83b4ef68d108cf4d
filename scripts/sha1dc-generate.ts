// Generates sha1dc-ubc.ts and sha1dc-compress.ts from the C sources of sha1dc
// (Marc Stevens and Dan Shumow's SHA-1 collision detection, as vendored by git
// in sha1dc/), so that the disturbance-vector table and the unavoidable
// bit-condition check are transcribed by a program, never retyped.
//
// Usage: npx tsx scripts/sha1dc-generate.ts DIR
// where DIR is the sha1dc/ directory of git's source, for example from
// Debian's git_2.39.5.orig.tar.xz (sha256 c58da92c378df4a986ca33266897a7397e86c22ee266a284d8c2432c39066b59):
//   curl -O http://deb.debian.org/debian/pool/main/g/git/git_2.39.5.orig.tar.xz
//   tar -xJf git_2.39.5.orig.tar.xz git-2.39.5/sha1dc
//   npx tsx scripts/sha1dc-generate.ts git-2.39.5/sha1dc
//
// This file is a build tool: nothing imports it at run time.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface DvRow {
  readonly dvType: number;
  readonly dvK: number;
  readonly dvB: number;
  readonly testt: number;
  readonly maski: number;
  readonly maskb: number;
  readonly dm: readonly string[];
}

/** Where the generated files go. */
const GITOBJ = join(dirname(fileURLToPath(import.meta.url)), '../src/gitobj');

function fail(message: string): never {
  throw new Error(`sha1dc-generate: ${message}`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The MIT notice of sha1dc, copied from LICENSE.txt into each generated file. */
function licenceComment(licence: string): string {
  return licence
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? '//' : `// ${line}`))
    .join('\n');
}

/** Parses `dv_info_t sha1_dvs[] = { {1,43,0,58,0,0, { 0x…, … } }, …, {0,…} };`. */
function parseDvTable(source: string): DvRow[] {
  const start = source.indexOf('dv_info_t sha1_dvs[] =');
  if (start < 0) fail('sha1_dvs not found in ubc_check.c');
  const end = source.indexOf('};', start);
  const table = source.slice(start, end);
  const rowPattern = /\{\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*\{([^}]*)\}\s*\}/g;
  const rows: DvRow[] = [];
  for (const m of table.matchAll(rowPattern)) {
    const dm = (m[7] ?? '').split(',').map((s) => s.trim());
    if (dm.length !== 80) fail(`DV row ${rows.length} has ${dm.length} message words, not 80`);
    for (const word of dm) if (!/^(0x[0-9a-f]{8}|0)$/.test(word)) fail(`bad DV word ${word}`);
    rows.push({
      dvType: Number(m[1]),
      dvK: Number(m[2]),
      dvB: Number(m[3]),
      testt: Number(m[4]),
      maski: Number(m[5]),
      maskb: Number(m[6]),
      dm,
    });
  }
  // The C table ends with an all-zero sentinel row (dvType 0), which the loop in sha1_process stops at.
  const sentinel = rows.pop();
  if (sentinel?.dvType !== 0) fail('the DV table does not end with its dvType 0 sentinel');
  if (rows.some((r) => r.dvType === 0)) fail('dvType 0 before the end of the table');
  return rows;
}

/** Parses `static const uint32_t DV_I_43_0_bit = (uint32_t)(1) << 0;`. */
function parseDvBits(source: string): Map<string, number> {
  const bits = new Map<string, number>();
  for (const m of source.matchAll(/static const uint32_t (DV_I{1,2}_\d+_\d+_bit)\s*=\s*\(uint32_t\)\(1\) << (\d+);/g)) {
    bits.set(m[1] ?? '', Number(m[2]));
  }
  return bits;
}

/**
 * Transcribes the body of ubc_check() into TypeScript. The C works on uint32_t, so
 * every right shift is logical (`>>>` in JavaScript); left shifts, &, |, ^, ~ and
 * the wrap-around of `x - 1` give the same 32 bits in JavaScript's int32 arithmetic.
 */
function transcribeUbcCheck(source: string): { body: string; words: number[] } {
  const header = 'void ubc_check(const uint32_t W[80], uint32_t dvmask[1])\n{\n';
  const start = source.indexOf(header);
  if (start < 0) fail('ubc_check() not found');
  // The function's closing brace is the first one at the start of a line after dvmask is stored.
  const close = source.indexOf('\n}\n', source.indexOf('dvmask[0]=mask;', start));
  let body = source.slice(start + header.length, close);
  const init = '\tuint32_t mask = ~((uint32_t)(0));\n';
  const done = '\tdvmask[0]=mask;';
  if (!body.startsWith(init)) fail('ubc_check() does not start with the expected mask initialisation');
  if (!body.trimEnd().endsWith(done)) fail('ubc_check() does not end with the expected dvmask store');
  body = body.slice(init.length, body.lastIndexOf(done));

  const words = [...new Set([...body.matchAll(/W\[(\d+)\]/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
  body = body.replace(/W\[(\d+)\]/g, 'w$1');
  if (body.includes('>>>')) fail('unexpected >>> in C source');
  body = body.replace(/>>/g, '>>>');
  // Whatever is left must be expression syntax that JavaScript shares with C.
  const leftover = body.replace(/\b(if|mask|w\d+|DV_I{1,2}_\d+_\d+_bit)\b|\d+|[\s(){}&|^~!<>=+\-;]/g, '');
  if (leftover !== '') fail(`untranscribed tokens in ubc_check(): ${JSON.stringify(leftover.slice(0, 80))}`);

  const indented = body
    .replace(/\t/g, '  ')
    .split('\n')
    .map((line) => (line.trim() === '' ? '' : line))
    .join('\n')
    .trimEnd();
  return { body: indented, words };
}

function generateUbc(sources: { ubc: string; licence: string; hashes: string }): string {
  const rows = parseDvTable(sources.ubc);
  const bits = parseDvBits(sources.ubc);
  rows.forEach((r, i) => {
    const name = `DV_${r.dvType === 1 ? 'I' : 'II'}_${r.dvK}_${r.dvB}_bit`;
    if (bits.get(name) !== r.maskb) fail(`${name} is bit ${bits.get(name)} but the table says ${r.maskb}`);
    if (r.maski !== 0) fail('DVMASKSIZE is 1 in this sha1dc: maski must be 0');
    if (r.maskb !== i) fail(`row ${i} has maskb ${r.maskb}; the port indexes DVs by mask bit`);
  });
  const { body, words } = transcribeUbcCheck(sources.ubc);

  const out: string[] = [];
  out.push('// GENERATED by scripts/sha1dc-generate.ts from sha1dc/ubc_check.c; do not edit.');
  out.push(sources.hashes);
  out.push('//');
  out.push('// The disturbance vectors (DVs) of sha1dc and its unavoidable bit-condition check:');
  out.push('// for an expanded message block W, ubcCheck() returns a mask with bit i set when');
  out.push('// W meets every unavoidable bit condition of DV i, so only those DVs need the');
  out.push('// (expensive) recompression test in sha1dc.ts.');
  out.push('//');
  out.push(licenceComment(sources.licence));
  out.push('');
  out.push(`/** Number of disturbance vectors; DV i owns bit i of the ubcCheck() mask. */`);
  out.push(`export const DV_COUNT = ${rows.length};`);
  out.push('');
  out.push('/** DV type (1 = I(K,B), 2 = II(K,B)), K and B, per DV, as in sha1_dvs. */');
  out.push(`export const DV_TYPE: readonly number[] = [${rows.map((r) => r.dvType).join(', ')}];`);
  out.push(`export const DV_K: readonly number[] = [${rows.map((r) => r.dvK).join(', ')}];`);
  out.push(`export const DV_B: readonly number[] = [${rows.map((r) => r.dvB).join(', ')}];`);
  out.push('');
  out.push('/** The step from which each DV is recompressed (sha1_dvs[i].testt). */');
  out.push(`export const DV_TESTT = Int32Array.of(${rows.map((r) => r.testt).join(', ')});`);
  out.push('');
  out.push('/** Recompression steps used by some DV: sha1dc stores the internal state before these steps. */');
  out.push(
    `export const DV_STORED_STEPS: readonly number[] = [${[...new Set(rows.map((r) => r.testt))].sort((a, b) => a - b).join(', ')}];`,
  );
  out.push('');
  out.push('/** Expanded message XOR-differences: words [80 i, 80 i + 80) are sha1_dvs[i].dm. */');
  out.push('export const DV_DM = Int32Array.from([');
  for (const r of rows) {
    out.push(`  // ${r.dvType === 1 ? 'I' : 'II'}(${r.dvK},${r.dvB}), testt ${r.testt}`);
    for (let j = 0; j < 80; j += 8) {
      out.push(
        `  ${r.dm
          .slice(j, j + 8)
          .map((w) => (w === '0' ? '0x00000000' : w))
          .join(', ')},`,
      );
    }
  }
  out.push(']);');
  out.push('');
  out.push('/** ubc_check(): the unavoidable bit conditions of every DV over W[35..64], as one mask. */');
  out.push('export function ubcCheck(W: Int32Array): number {');
  // Function-local constants, so that the optimising compiler folds them (module-level ones it loads each time).
  for (const [name, bit] of [...bits].sort((a, b) => a[1] - b[1])) {
    out.push(`  const ${name} = 1 << ${bit};`);
  }
  for (const w of words) out.push(`  const w${w} = W[${w}]!;`);
  out.push('  let mask = -1;');
  out.push(body);
  out.push('  return mask;');
  out.push('}');
  out.push('');
  return out.join('\n');
}

/**
 * The SHA-1 compression function of sha1_compression_states(), unrolled: it also
 * stores the expanded message W[0..79] and the internal state before the steps
 * the DVs recompress from (DOSTORESTATE58 and DOSTORESTATE65 in ubc_check.h).
 * The state is stored in the standard order (A, B, C, D, E) of the step, i.e.
 * after undoing the variable renaming of the unrolled code.
 */
function generateCompress(storedSteps: readonly number[], licence: string): string {
  const names = ['a', 'b', 'c', 'd', 'e'];
  const role = (t: number, k: number): string => names[(((k - t) % 5) + 5) % 5] ?? fail('role');
  const rotl = (x: string, n: number): string => `((${x} << ${n}) | (${x} >>> ${32 - n}))`;
  const out: string[] = [];
  out.push('// GENERATED by scripts/sha1dc-generate.ts; do not edit.');
  out.push('//');
  out.push('// The SHA-1 compression function of sha1dc (sha1_compression_states() in');
  out.push('// sha1dc/sha1.c), unrolled over its 80 steps. Besides updating the chaining');
  out.push('// value it keeps what collision detection needs: the expanded message block');
  out.push(`// W[0..79] and the internal state before steps ${storedSteps.join(' and ')}.`);
  out.push('//');
  out.push(licenceComment(licence));
  out.push('');
  out.push('/** Steps before which compress() stores the state, at offset 5 × (index in this list). */');
  out.push(`export const STORED_STEPS: readonly number[] = [${storedSteps.join(', ')}];`);
  out.push('');
  out.push('/**');
  out.push(' * Compresses the 64-byte block at byte `offset` of `block` into `ihv` (5 words), writing');
  out.push(' * the expanded message to `W` (80 words) and the states before STORED_STEPS to `states`.');
  out.push(' * Words are read big-endian, as SHA-1 specifies.');
  out.push(' */');
  out.push('export function compress(ihv: Int32Array, block: DataView, offset: number, W: Int32Array, states: Int32Array): void {');
  out.push('  let a = ihv[0]!, b = ihv[1]!, c = ihv[2]!, d = ihv[3]!, e = ihv[4]!;');
  const constants = ['0x5a827999', '0x6ed9eba1', '0x8f1bbcdc', '0xca62c1d6'];
  for (let t = 0; t < 80; t++) {
    const [A, B, C, D, E] = [0, 1, 2, 3, 4].map((k) => role(t, k)) as [string, string, string, string, string];
    const slot = storedSteps.indexOf(t);
    if (slot >= 0) {
      out.push(`  // state before step ${t}`);
      [A, B, C, D, E].forEach((v, k) => out.push(`  states[${5 * slot + k}] = ${v};`));
    }
    // The last 16 message words live in locals x0..x15 (x[t mod 16]); every word is also stored in W.
    const x = `x${t % 16}`;
    if (t < 16) {
      // DataView reads are big-endian by default, as SHA-1 wants, and faster in V8 than four byte loads.
      out.push(`  let ${x} = block.getInt32(${t === 0 ? 'offset' : `offset + ${4 * t}`});`);
    } else {
      out.push(`  ${x} = x${(t - 3) % 16} ^ x${(t - 8) % 16} ^ x${(t - 14) % 16} ^ ${x};`);
      out.push(`  ${x} = (${x} << 1) | (${x} >>> 31);`);
    }
    out.push(`  W[${t}] = ${x};`);
    const round = Math.floor(t / 20);
    // sha1_f1..f4; f3 is written (b & c) + (d & (b ^ c)) in sha1dc: the two terms share no bit, so + is |.
    const f = [
      `(${D} ^ (${B} & (${C} ^ ${D})))`,
      `(${B} ^ ${C} ^ ${D})`,
      `((${B} & ${C}) | (${D} & (${B} ^ ${C})))`,
      `(${B} ^ ${C} ^ ${D})`,
    ][round];
    out.push(`  ${E} = (${E} + ${rotl(A, 5)} + ${f} + ${constants[round]} + ${x}) | 0;`);
    out.push(`  ${B} = ${rotl(B, 30)};`);
  }
  out.push('  ihv[0] = (ihv[0]! + a) | 0;');
  out.push('  ihv[1] = (ihv[1]! + b) | 0;');
  out.push('  ihv[2] = (ihv[2]! + c) | 0;');
  out.push('  ihv[3] = (ihv[3]! + d) | 0;');
  out.push('  ihv[4] = (ihv[4]! + e) | 0;');
  out.push('}');
  out.push('');
  // sha1recompress_fast_T of sha1.c (the SHA1_RECOMPRESS macro). sha1.c has one function
  // per stored step; here one function serves them all, each step written once: going
  // backwards, the steps above a lower stored step run only when `t` is above it, and
  // going forwards, the steps below a higher one only when `t` is below it.
  const fs = [
    (B: string, C: string, D: string): string => `(${D} ^ (${B} & (${C} ^ ${D})))`,
    (B: string, C: string, D: string): string => `(${B} ^ ${C} ^ ${D})`,
    (B: string, C: string, D: string): string => `((${B} & ${C}) | (${D} & (${B} ^ ${C})))`,
    (B: string, C: string, D: string): string => `(${B} ^ ${C} ^ ${D})`,
  ];
  const rotr = (x: string, n: number): string => `((${x} >>> ${n}) | (${x} << ${32 - n}))`;
  const roles = (i: number): [string, string, string, string, string] =>
    [0, 1, 2, 3, 4].map((k) => role(i, k)) as [string, string, string, string, string];
  /**
   * The steps from each stored step (in `order`) to the next, each run guarded by `guard`
   * but the last, which every `t` goes through: a run is written once whatever `t` is.
   */
  const runs = (
    order: readonly number[],
    guard: (t: number) => string,
    steps: (j: number) => number[],
    line: (i: number) => string[],
  ): void => {
    order.forEach((t, j) => {
      const last = j === order.length - 1;
      const indent = last ? '  ' : '    ';
      if (!last) out.push(`  if (${guard(t)}) {`);
      for (const i of steps(j)) for (const l of line(i)) out.push(`${indent}${l}`);
      if (!last) out.push('  }');
    });
  };
  const range = (from: number, to: number, by: number): number[] => {
    const r: number[] = [];
    for (let i = from; by > 0 ? i < to : i > to; i += by) r.push(i);
    return r;
  };
  const descending = [...storedSteps].reverse();
  out.push('/**');
  out.push(' * Recompression from step `t` (sha1recompress_fast_t), one of STORED_STEPS: from the');
  out.push(' * state stored before step `t` and the expanded message `me2`, runs the steps backwards');
  out.push(' * to the input chaining value and forwards to the end; writes ihvin + state to `ihvout`.');
  out.push(' */');
  out.push('export function recompress(t: number, me2: Int32Array, states: Int32Array, ihvout: Int32Array): void {');
  out.push('  let a: number, b: number, c: number, d: number, e: number;');
  out.push('  switch (t) {');
  storedSteps.forEach((t, slot) => {
    out.push(`    case ${t}:`);
    out.push(`      ${[0, 1, 2, 3, 4].map((k) => `${role(t, k)} = states[${5 * slot + k}]!`).join('; ')};`);
    out.push('      break;');
  });
  out.push('    default:');
  out.push('      throw new RangeError(`sha1dc stores no state before step ${t}`);');
  out.push('  }');
  out.push('  const a0 = a, b0 = b, c0 = c, d0 = d, e0 = e;');
  runs(
    descending,
    (t) => `t >= ${t}`,
    (j) => range(descending[j]! - 1, (descending[j + 1] ?? 0) - 1, -1),
    (i) => {
      const [A, B, C, D, E] = roles(i);
      const round = Math.floor(i / 20);
      return [`${B} = ${rotr(B, 30)};`, `${E} = (${E} - ${rotl(A, 5)} - ${fs[round]?.(B, C, D)} - ${constants[round]} - me2[${i}]!) | 0;`];
    },
  );
  out.push('  const in0 = a, in1 = b, in2 = c, in3 = d, in4 = e;');
  out.push('  a = a0;');
  out.push('  b = b0;');
  out.push('  c = c0;');
  out.push('  d = d0;');
  out.push('  e = e0;');
  runs(
    storedSteps,
    (t) => `t <= ${t}`,
    (j) => range(storedSteps[j]!, storedSteps[j + 1] ?? 80, 1),
    (i) => {
      const [A, B, C, D, E] = roles(i);
      const round = Math.floor(i / 20);
      return [`${E} = (${E} + ${rotl(A, 5)} + ${fs[round]?.(B, C, D)} + ${constants[round]} + me2[${i}]!) | 0;`, `${B} = ${rotl(B, 30)};`];
    },
  );
  out.push('  ihvout[0] = (in0 + a) | 0;');
  out.push('  ihvout[1] = (in1 + b) | 0;');
  out.push('  ihvout[2] = (in2 + c) | 0;');
  out.push('  ihvout[3] = (in3 + d) | 0;');
  out.push('  ihvout[4] = (in4 + e) | 0;');
  out.push('}');
  out.push('');
  return out.join('\n');
}

function main(): void {
  const dir = process.argv[2] ?? fail('usage: sha1dc-generate.ts SHA1DC_DIR');
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  const ubc = read('ubc_check.c');
  const ubcH = read('ubc_check.h');
  const sha1c = read('sha1.c');
  const licence = read('LICENSE.txt');
  const hashes = [
    `// sha256 ${sha256(ubc)}  sha1dc/ubc_check.c`,
    `// sha256 ${sha256(ubcH)}  sha1dc/ubc_check.h`,
    `// sha256 ${sha256(sha1c)}  sha1dc/sha1.c`,
  ].join('\n');

  const stored = [...ubcH.matchAll(/#define DOSTORESTATE(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  const testts = [...new Set(parseDvTable(ubc).map((r) => r.testt))].sort((a, b) => a - b);
  if (stored.join() !== testts.join()) fail(`stored states ${stored.join()} differ from DV test steps ${testts.join()}`);
  if (!/#define DVMASKSIZE 1\b/.test(ubcH)) fail('this port assumes DVMASKSIZE 1');

  writeFileSync(join(GITOBJ, 'sha1dc-ubc.ts'), generateUbc({ ubc, licence, hashes }));
  writeFileSync(join(GITOBJ, 'sha1dc-compress.ts'), generateCompress(stored, licence));
}

// Only when run as a program, so that importing this file (a test, a type check) writes nothing.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
