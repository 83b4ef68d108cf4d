// `t2u-verify consensus`: asks several independent verifiers whether they
// reproduced one .dsc (docs/transparency.md), checking each answer through
// the verifier's signed, append-only log.
// Exit status: 0 agreed, 1 disputed, 2 usage error, 3 insufficient.
// This module is the command's action: consensus-command.ts registers the command
// (its options and help) and loads this only when the command runs.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { consensus, parseVerifiersFile, renderConsensus, type VerifierEntry } from '../publish/consensus.js';
import { defaultStateDir } from '../publish/log-client.js';
import { EXIT } from '../report/report.js';
import { fetchSourcesIndex, findSourcesEntry, type SourcesIndex } from '../upload/index.js';
import { UsageError } from '../report/usage-error.js';
import { isVerificationError } from '../report/verification-error.js';

export interface ConsensusOptions {
  upload?: string;
  verifiers: string;
  threshold?: string;
  state?: string;
  json?: boolean;
  mirror?: string;
  suite?: string;
  allowHttp?: boolean;
}

const MAX_DSC_BYTES = 1 << 20;

async function dscDigest(
  first: string | undefined,
  version: string | undefined,
  opts: ConsensusOptions,
): Promise<{ sha256: string; name: string } | { error: string }> {
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  if (opts.upload !== undefined) {
    if (first !== undefined) throw new UsageError('give either --upload or SOURCE VERSION');
    if (/^https?:\/\//.test(opts.upload)) {
      let res: Response;
      try {
        res = await fetch(opts.upload, { signal: AbortSignal.timeout(60_000) });
      } catch (e) {
        throw new UsageError(`--upload ${opts.upload}: ${(e as Error).message}`);
      }
      if (res.status !== 200) throw new UsageError(`--upload ${opts.upload}: HTTP ${res.status}`);
      const body = Buffer.from(await res.arrayBuffer());
      if (body.length > MAX_DSC_BYTES) throw new UsageError(`--upload ${opts.upload}: larger than a .dsc`);
      return { sha256: sha(body), name: basename(new URL(opts.upload).pathname) };
    }
    let body: Buffer;
    try {
      body = await readFile(opts.upload);
    } catch (e) {
      throw new UsageError(`--upload ${opts.upload}: ${(e as Error).message}`);
    }
    return { sha256: sha(body), name: basename(opts.upload) };
  }
  if (first === undefined || version === undefined) throw new UsageError('give --upload DSC_PATH|URL, or SOURCE VERSION');
  // The .dsc's digest from the archive's verified Sources index.
  let index: SourcesIndex;
  try {
    index = await fetchSourcesIndex({
      ...(opts.mirror !== undefined && { mirror: opts.mirror }),
      ...(opts.suite !== undefined && { suite: opts.suite }),
      policy: { allowHttpLoopback: opts.allowHttp === true },
    });
  } catch (e) {
    if (isVerificationError(e)) return { error: `${e.code}: ${e.message}` };
    throw e;
  }
  const entry = findSourcesEntry(index, first, version);
  if (entry === undefined) return { error: `UPLOAD_NOT_FOUND: ${first} ${version} is not in ${index.suite}'s Sources index` };
  return { sha256: entry.dsc.hash, name: entry.dsc.name };
}

export async function consensusAction(
  setExit: (code: number) => void,
  first: string | undefined,
  version: string | undefined,
  opts: ConsensusOptions,
): Promise<void> {
  let verifiers: VerifierEntry[];
  try {
    verifiers = parseVerifiersFile(await readFile(opts.verifiers, 'utf8'), opts.verifiers);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--verifiers ${opts.verifiers}: ${(e as Error).message}`);
  }
  const threshold = opts.threshold === undefined ? new Set(verifiers.map((v) => v.vkey)).size : Number(opts.threshold);
  if (!Number.isSafeInteger(threshold) || threshold < 1)
    throw new UsageError(`--threshold must be a positive integer, not ${JSON.stringify(opts.threshold)}`);
  const dsc = await dscDigest(first, version, opts);
  if ('error' in dsc) {
    process.stderr.write(`t2u-verify consensus: the .dsc could not be obtained: ${dsc.error}\n`);
    setExit(EXIT.unverifiable);
    return;
  }
  const report = await consensus(dsc.sha256, verifiers, threshold, opts.state ?? defaultStateDir());
  process.stdout.write(opts.json ? `${JSON.stringify({ ...report, dsc: dsc.name }, null, 2)}\n` : renderConsensus(report, dsc.name));
  setExit(report.result === 'agreed' ? EXIT.ok : report.result === 'disputed' ? EXIT.failed : EXIT.unverifiable);
}
