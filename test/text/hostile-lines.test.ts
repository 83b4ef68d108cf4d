import { describe, expect, it } from 'vitest';
import { dearmor } from '../../src/authenticate/openpgp/armor.js';
import { parseClearsigned } from '../../src/deb822/clearsigned.js';
import { parseDeb822 } from '../../src/deb822/parse.js';
import { parseChangelog } from '../../src/interpret/changelog.js';
import { parseTagMessage } from '../../src/interpret/tag-message.js';
import { parseTagObject } from '../../src/gitobj/tag-object.js';

// A line of white space followed by one other character made every trailing-
// white-space trim backtrack quadratically: a 362 KB line in a tag's signature
// block froze the service for minutes. Each parser must take time linear in
// the line: going from 362 KB to 8 times that may cost about 8 times as much,
// never the 64 times a quadratic scan costs. The ratio, not the clock, is
// asserted, and it is a ratio of CPU time (time spent waiting for a core on a
// loaded machine is not counted), the best of several samples.
const SMALL = 362 * 1024;
const FACTOR = 8;

/** CPU milliseconds of one run of `run`: the best of five samples, each repeated until it used 10 ms. */
function fastest(run: () => unknown): number {
  let best = Infinity;
  for (let sample = 0; sample < 5; sample++) {
    const start = process.cpuUsage();
    let runs = 0;
    let used = 0;
    do {
      run();
      runs++;
      const d = process.cpuUsage(start);
      used = (d.user + d.system) / 1000;
    } while (used < 10);
    best = Math.min(best, used / runs);
  }
  return best;
}

function scaling(make: (n: number) => Uint8Array, parse: (input: Uint8Array) => unknown): number {
  const small = make(SMALL);
  const large = make(SMALL * FACTOR);
  parse(small); // warm up the compiler
  return fastest(() => parse(large)) / fastest(() => parse(small));
}

const spaces = (n: number, tail: string): string => ' \t'.repeat(n / 2) + tail;
const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const tagObject = (line: string): Uint8Array =>
  bytes(
    'object 0123456789012345678901234567890123456789\ntype commit\ntag debian/1.0-1\n' +
      'tagger A <a@b.c> 1700000000 +0000\n\nsummary\n\n[dgit please-upload]\n' +
      `-----BEGIN PGP SIGNATURE-----\n\n${line}\n-----END PGP SIGNATURE-----\n`,
  );

const cases: ReadonlyArray<readonly [string, (n: number) => Uint8Array, (input: Uint8Array) => unknown]> = [
  [
    'the armor of a tag signature',
    (n) => tagObject(spaces(n, 'x')),
    (input) => {
      try {
        dearmor(Buffer.from(parseTagObject(input).signature!.block).toString('latin1'));
      } catch {
        // malformed armor is the expected answer; only the time matters
      }
    },
  ],
  ['the tag message', (n) => tagObject(spaces(n, 'x')), (input) => parseTagMessage(input)],
  [
    'a clearsigned .dsc',
    (n) =>
      bytes(
        `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nSource: a\n${spaces(n, 'x')}\n` +
          '-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n',
      ),
    (input) => {
      try {
        parseClearsigned(input);
      } catch {
        // only the time matters
      }
    },
  ],
  [
    'a deb822 paragraph',
    (n) => bytes(`Source: a\nFiles:\n ${spaces(n, 'x')}\n`),
    (input) => parseDeb822(Buffer.from(input).toString('latin1')),
  ],
  [
    'a changelog header',
    (n) => bytes(`a (1.0-1) unstable;${spaces(n, 'x')}\n\n  * x\n\n -- A <a@b>  Thu, 02 Jan 2025 00:00:00 +0100\n`),
    parseChangelog,
  ],
  [
    'a changelog trailer',
    (n) =>
      bytes(
        `a (1.0-1) unstable; urgency=low\n\n  * x\n\n -- A ${' <a'.repeat(n / 3)}>  Thu, 02 Jan 2025 00:00:00 +0100${spaces(n, 'x')}\n`,
      ),
    parseChangelog,
  ],
  [
    'an old-format changelog line',
    (n) => bytes(`a (1.0-1) unstable; urgency=low\n\n  * x\n\nMon Jan 12 12:00:00 1999${' <a'.repeat(n / 3)}\n`),
    parseChangelog,
  ],
];

describe('hostile long lines are parsed in linear time', () => {
  for (const [name, make, parse] of cases) {
    it(
      name,
      () => {
        const ratio = scaling(make, parse);
        expect(ratio, `${FACTOR}x the input cost ${ratio.toFixed(1)}x the time`).toBeLessThan(FACTOR * 3);
      },
      120_000,
    );
  }
});
