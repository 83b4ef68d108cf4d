// Mutation fuzzing of every parser that reads outside bytes, from real
// fixtures: a signed tag made by gpg, a real tag2upload .dsc clearsigned
// again by a test key, a tar made by GNU tar, a pkt-line stream, GitLab's
// tag-push webhook body through the real intake app. Properties: a parser
// throws nothing but its module's typed error, each input costs bounded CPU
// time, and a mutated signed input is never accepted unless gpgv accepts it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadKeyrings, type KeyringIndex } from '../../src/authenticate/openpgp/keyring-index.js';
import { DEFAULT_SIGNATURE_POLICY, verifyTagSignature } from '../../src/authenticate/openpgp/verify-tag-signature.js';
import { parseClearsigned } from '../../src/deb822/clearsigned.js';
import { parseDeb822 } from '../../src/deb822/parse.js';
import { pktLine, readPkts, FLUSH } from '../../src/fetch/pkt-line.js';
import { parseTagObject, signatureOffset } from '../../src/gitobj/tag-object.js';
import { parseChangelog } from '../../src/interpret/changelog.js';
import { interpretTag } from '../../src/interpret/interpret.js';
import { isTarballError } from '../../src/tarball/tarball-error.js';
import { readTar } from '../../src/tarball/tar-reader.js';
import { readDsc } from '../../src/deb822/dsc.js';
import { verifyDscSignature } from '../../src/authenticate/openpgp/verify-dsc-signature.js';
import { fixtureKeys, Gpg, gpgv, KEYS_DIR } from '../authenticate/gpg-harness.js';
import { buildApp, TAG_PUSH_FIXTURE, TOKEN } from '../server/intake-helpers.js';
import { isFormatError } from '../../src/report/format-error.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** xorshift32: a run is reproduced by its seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const INTERESTING = [
  '\n',
  '\r\n',
  ' ',
  '\t',
  '\0',
  '-',
  ':',
  ',',
  '<',
  '>',
  '[dgit ',
  ']',
  '"',
  '-----BEGIN PGP SIGNATURE-----\n',
  '-----END PGP SIGNATURE-----\n',
  'Hash: SHA512\n',
  '- ',
  '\n\n',
  '\xff',
  '\xc3\xa9',
  '=',
  '0000',
  '0001',
  'ffff',
  '%2F',
  '..',
  '{',
  '}',
  '\\u0000',
];

/** One to four byte-level edits: flip, delete, insert interesting text, duplicate or repeat a span. */
export function mutate(input: Uint8Array, random: () => number): Buffer {
  let b = Buffer.from(input);
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (b.length + 1));
    const len = 1 + Math.floor(random() * 16);
    const k = random();
    if (k < 0.25 && b.length > 0) {
      const i = Math.min(at, b.length - 1);
      b[i] = b[i]! ^ (1 << Math.floor(random() * 8));
    } else if (k < 0.45) b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
    else if (k < 0.75)
      b = Buffer.concat([
        b.subarray(0, at),
        Buffer.from(INTERESTING[Math.floor(random() * INTERESTING.length)]!, 'latin1'),
        b.subarray(at),
      ]);
    else if (k < 0.95) b = Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
    else {
      // A span repeated up to 2,000 times: long lines and runs of white space.
      const span = b.subarray(at, at + len);
      b = Buffer.concat([b.subarray(0, at), ...Array.from({ length: 1 + Math.floor(random() * 2000) }, () => span), b.subarray(at + len)]);
    }
  }
  return b;
}

async function* toAsync(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield await Promise.resolve(c);
}

export interface Target {
  readonly name: string;
  readonly seed: Uint8Array;
  /** Runs one input; resolves to true when the input was accepted as signed and authentic. */
  run(input: Buffer): Promise<boolean | undefined>;
  /** Whether an error is the module's typed error. */
  typed(err: unknown): boolean;
  /** The oracle for an input `run` accepted as signed: gpgv's answer. */
  gpgvAccepts?(input: Buffer): boolean;
}

export interface Fixtures {
  readonly targets: readonly Target[];
  close(): Promise<void>;
}

/** Makes the fixtures (keys, a signed tag, a clearsigned .dsc, a tar, the app) and the targets over them. */
export async function makeTargets(): Promise<Fixtures> {
  const work = mkdtempSync(join(tmpdir(), 't2u-fuzz-'));
  const gpg = Gpg.create();
  gpg.importFile(join(KEYS_DIR, 'rsa3072.sec.asc'));
  const signer = fixtureKeys().rsa3072!.signing;
  const keyring = join(work, 'ring.gpg');
  writeFileSync(keyring, gpg.must(['--export']));
  const index: KeyringIndex = await loadKeyrings([{ path: join(KEYS_DIR, 'rsa3072.pub.asc'), role: 'uploader' }]);

  // A tag as git-debpush writes it, signed by the fixture key.
  const payload = Buffer.from(
    'object 840976dd03ef23e0c4eea87ffd60260ed78863b1\ntype commit\ntag debian/1.0-1\ntagger T2U Test <rsa3072@t2u.test> 1709251200 +0000\n\n' +
      'hello release 1.0-1 for unstable\n\n[dgit distro=debian split --quilt=linear]\n[dgit please-upload source=hello version=1.0-1]\n',
  );
  const tag = Buffer.concat([payload, gpg.detachSign(payload, signer, '20240301T000000')]);
  const changelog = Buffer.from(
    'hello (1.0-1) unstable; urgency=medium\n\n  * Initial release.\n\n -- T2U Test <rsa3072@t2u.test>  Fri, 01 Mar 2024 00:00:00 +0000\n',
  );

  // A real tag2upload .dsc's text, clearsigned by the fixture key.
  const real = readFileSync(join(ROOT, 'fixtures/dsc/upload/dh-ocaml_3.8.dsc'), 'latin1');
  const text = real.slice(real.indexOf('\n\n') + 2, real.indexOf('\n-----BEGIN PGP SIGNATURE-----'));
  const dsc = gpg.must(['--clearsign', '-u', `${signer}!`, '-o', '-'], { at: '20240301T000000', input: text });

  // A tar made by GNU tar.
  const tar = execFileSync('tar', ['--format=gnu', '-cf', '-', '-C', join(ROOT, 'fixtures/keys'), 'README.md', 'keys.json']);
  const pkts = Buffer.concat([
    pktLine('# service=git-upload-pack\n'),
    FLUSH,
    pktLine('840976dd03ef23e0c4eea87ffd60260ed78863b1 refs/tags/debian/1.0-1\0multi_ack\n'),
    FLUSH,
  ]);
  const app = await buildApp();

  const targets: Target[] = [
    {
      name: 'tag object, signature and interpretation',
      seed: tag,
      typed: (e) => isFormatError(e, 'git-tag'),
      async run(input) {
        const parsed = parseTagObject(input);
        interpretTag({ refName: 'debian/1.0-1', tag: parsed, changelog });
        return (await verifyTagSignature(parsed, index, DEFAULT_SIGNATURE_POLICY)).ok;
      },
      gpgvAccepts(input) {
        const cut = signatureOffset(input);
        return gpgv([keyring], input.subarray(0, cut), input.subarray(cut)).dgitAccepts;
      },
    },
    {
      name: 'debian/changelog',
      seed: changelog,
      typed: () => false,
      run(input) {
        parseChangelog(input);
        return Promise.resolve(undefined);
      },
    },
    {
      name: '.dsc: clearsigned framing, deb822, fields, signature',
      seed: dsc,
      typed: (e) => isFormatError(e, 'dsc') || isFormatError(e, 'clearsigned') || isFormatError(e, 'deb822'),
      async run(input) {
        try {
          parseClearsigned(input);
        } catch (e) {
          if (!isFormatError(e, 'clearsigned')) throw e;
        }
        try {
          parseDeb822(input.toString('latin1'));
        } catch (e) {
          if (!isFormatError(e, 'deb822')) throw e;
        }
        try {
          readDsc(input);
        } catch (e) {
          if (!isFormatError(e, 'dsc')) throw e;
        }
        return (await verifyDscSignature(input, index)).ok;
      },
      gpgvAccepts(input) {
        const f = join(work, 'x.dsc');
        writeFileSync(f, input);
        try {
          execFileSync('gpgv', ['--keyring', keyring, f], { stdio: 'ignore' });
          return true;
        } catch {
          return false;
        }
      },
    },
    {
      name: 'tar reader',
      seed: tar,
      typed: isTarballError,
      async run(input) {
        for await (const _ of readTar(toAsync([input]), { maxTotalBytes: 1 << 20 })) {
          /* read every member */
        }
        return undefined;
      },
    },
    {
      name: 'pkt-line',
      seed: pkts,
      typed: (e) => isFormatError(e, 'pkt-line'),
      async run(input) {
        for await (const _ of readPkts(toAsync([input]))) {
          /* read every packet */
        }
        return undefined;
      },
    },
    {
      name: 'webhook body through the intake app',
      seed: Buffer.from(TAG_PUSH_FIXTURE),
      typed: () => false,
      async run(input) {
        const res = await app.inject({
          method: 'POST',
          url: '/hooks/gitlab',
          payload: input,
          headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': TOKEN },
        });
        if (res.statusCode >= 500) throw new Error(`the app answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
        return undefined;
      },
    },
  ];
  return {
    targets,
    async close() {
      await app.close();
      gpg.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export interface FuzzResult {
  readonly target: string;
  readonly runs: number;
  readonly acceptedSigned: number;
  readonly failures: readonly string[];
  /** The most CPU milliseconds one input took. */
  readonly maxCpuMs: number;
}

/** CPU milliseconds one input may take: linear parsers of inputs this size take a few. */
export const STEP_BOUND_CPU_MS = 2000;

/** Runs `iterations` mutated inputs through `target`, from `seed`. */
export async function fuzz(target: Target, iterations: number, seed: number): Promise<FuzzResult> {
  const random = rng(seed);
  const failures: string[] = [];
  let acceptedSigned = 0;
  let maxCpuMs = 0;
  for (let i = 0; i < iterations; i++) {
    const input = mutate(target.seed, random);
    const start = process.cpuUsage();
    let ok: boolean | undefined;
    try {
      ok = await target.run(input);
    } catch (err) {
      if (!target.typed(err))
        failures.push(
          `#${i}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} for ${JSON.stringify(input.toString('latin1').slice(0, 300))}`,
        );
    }
    const used = process.cpuUsage(start);
    const ms = (used.user + used.system) / 1000;
    maxCpuMs = Math.max(maxCpuMs, ms);
    if (ms > STEP_BOUND_CPU_MS) failures.push(`#${i}: ${ms.toFixed(0)} ms of CPU for one input of ${input.length} bytes`);
    if (ok === true && !input.equals(Buffer.from(target.seed))) {
      acceptedSigned++;
      if (target.gpgvAccepts && !target.gpgvAccepts(input))
        failures.push(`#${i}: accepted as signed, gpgv refuses: ${JSON.stringify(input.toString('latin1').slice(0, 300))}`);
    }
  }
  return { target: target.name, runs: iterations, acceptedSigned, failures, maxCpuMs };
}
