// A streaming client for git's upload-pack over smart HTTP (protocol v0 and
// v2), for one purpose: a shallow fetch of a few named objects. isomorphic-git
// collects the whole pack in memory and indexes it there (5–6× the pack size
// in RSS, measured), so the pack bytes are demultiplexed here and streamed
// straight into `git index-pack --stdin --strict` in the sandbox.
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { HttpTransport } from '../net/http-transport.js';
import { DELIM, FLUSH, pktLine, pktText, readPkts, type Pkt } from './pkt-line.js';
import { VerificationError } from '../report/verification-error.js';

export interface PackRequest {
  /** The repository URL that answered discovery (after its redirects). */
  baseUrl: string;
  protocol: 1 | 2;
  /** Capabilities the server advertised (v0: on the first ref; v2: from discovery). */
  capabilities: Record<string, string | true>;
  wants: readonly string[];
  /** Commits the repository already has shallow boundaries at (sent as `shallow`). */
  shallow?: readonly string[];
  /**
   * Commits the repository already has, with their trees (sent as `have`):
   * the server leaves out every object they reach, down to the `shallow`
   * boundaries, so an object fetched once does not cross the wire again.
   */
  haves?: readonly string[];
  depth: number;
  agent: string;
  maxPackBytes: number;
  /** Told the pack bytes received so far, as they arrive (progress). */
  onPackBytes?: (bytes: number) => void;
}

export interface PackResult {
  shallow: string[];
  packBytes: number;
}

/**
 * Requests the pack and streams it: `openSink` is called once the shallow list
 * is known (the object store must record it before index-pack checks links),
 * and receives every pack byte; it is ended when the pack is complete.
 */
export async function fetchPack(
  transport: HttpTransport,
  req: PackRequest,
  openSink: (shallow: string[]) => Promise<Writable>,
): Promise<PackResult> {
  const body = req.protocol === 2 ? requestV2(req) : requestV0(req);
  const res = await transport.request({
    url: `${req.baseUrl.replace(/\/$/, '')}/git-upload-pack`,
    method: 'POST',
    headers: {
      'content-type': 'application/x-git-upload-pack-request',
      accept: 'application/x-git-upload-pack-result',
      ...(req.protocol === 2 ? { 'git-protocol': 'version=2' } : {}),
    },
    body,
  });
  if (res.statusCode !== 200) {
    throw new VerificationError('FETCH_FAILED', `upload-pack answered HTTP ${res.statusCode} ${res.statusMessage}`);
  }
  const ctype = res.headers['content-type'] ?? '';
  if (!ctype.startsWith('application/x-git-upload-pack-result')) {
    throw new VerificationError('FETCH_FAILED', `upload-pack answered with content-type ${JSON.stringify(ctype)}, not a git response`);
  }
  const pkts = readPkts(res.body)[Symbol.asyncIterator]();
  const next = async (): Promise<Pkt> => {
    const r = await pkts.next();
    if (r.done) throw new VerificationError('FETCH_FAILED', 'upload-pack response ended early');
    return r.value;
  };

  const shallow = req.protocol === 2 ? await readV2Preamble(next) : await readV0Preamble(next);
  const sink = await openSink(shallow);
  let packBytes = 0;
  try {
    for (;;) {
      const p = await next();
      if (p.kind === 'flush' || p.kind === 'end') break;
      if (p.kind !== 'data' || p.data.length === 0)
        throw new VerificationError('FETCH_FAILED', 'unexpected packet inside the packfile section');
      const band = p.data[0];
      const payload = p.data.subarray(1);
      if (band === 1) {
        packBytes += payload.length;
        if (packBytes > req.maxPackBytes) {
          throw new VerificationError('PACK_TOO_LARGE', `the server sent more than the maximum pack size (${req.maxPackBytes} bytes)`);
        }
        req.onPackBytes?.(packBytes);
        // A sink destroyed by its consumer (index-pack ended) takes no more, and never drains.
        if (sink.destroyed) throw new VerificationError('FETCH_FAILED', 'the pack could not be passed on: its consumer stopped');
        if (!sink.write(payload)) await Promise.race([once(sink, 'drain'), once(sink, 'close')]);
      } else if (band === 3) {
        throw new VerificationError('FETCH_FAILED', `remote error: ${payload.toString('utf8').trim()}`);
      } else if (band !== 2) {
        throw new VerificationError('FETCH_FAILED', `unknown side-band ${band}`);
      }
    }
  } catch (err) {
    sink.destroy();
    throw err;
  }
  sink.end();
  await finished(sink, { readable: false });
  return { shallow, packBytes };
}

function requestV2(req: PackRequest): Buffer {
  const caps = req.capabilities;
  const fetchFeatures = typeof caps['fetch'] === 'string' ? caps['fetch'].split(' ') : [];
  if (!fetchFeatures.includes('shallow')) {
    throw new VerificationError('FETCH_FAILED', 'the server does not support shallow fetches');
  }
  const lines: Buffer[] = [pktLine('command=fetch\n'), pktLine(`agent=${req.agent}\n`)];
  if (caps['object-format'] !== undefined) lines.push(pktLine('object-format=sha1\n'));
  // thin-pack, as git asks for it: only then does upload-pack mark the trees
  // of the `have` commits uninteresting and leave out the objects they share
  // with the wants (without it, a have saves only the have's own history).
  // index-pack --fix-thin completes the pack from the store.
  lines.push(DELIM, pktLine('thin-pack\n'), pktLine('ofs-delta\n'), pktLine('no-progress\n'));
  for (const s of req.shallow ?? []) lines.push(pktLine(`shallow ${s}\n`));
  lines.push(pktLine(`deepen ${req.depth}\n`));
  for (const w of req.wants) lines.push(pktLine(`want ${w}\n`));
  for (const h of req.haves ?? []) lines.push(pktLine(`have ${h}\n`));
  lines.push(pktLine('done\n'), FLUSH);
  return Buffer.concat(lines);
}

function requestV0(req: PackRequest): Buffer {
  const caps = req.capabilities;
  for (const need of ['side-band-64k', 'shallow']) {
    if (caps[need] === undefined) throw new VerificationError('FETCH_FAILED', `the server lacks the ${need} capability`);
  }
  const ours = ['side-band-64k', 'shallow', 'no-progress', `agent=${req.agent}`];
  if (caps['ofs-delta'] !== undefined) ours.push('ofs-delta');
  if (caps['thin-pack'] !== undefined) ours.push('thin-pack');
  if (caps['object-format'] !== undefined) ours.push('object-format=sha1');
  const lines: Buffer[] = req.wants.map((w, i) => pktLine(i === 0 ? `want ${w} ${ours.join(' ')}\n` : `want ${w}\n`));
  for (const s of req.shallow ?? []) lines.push(pktLine(`shallow ${s}\n`));
  lines.push(pktLine(`deepen ${req.depth}\n`), FLUSH);
  for (const h of req.haves ?? []) lines.push(pktLine(`have ${h}\n`));
  lines.push(pktLine('done\n'));
  return Buffer.concat(lines);
}

function errorOf(text: string): VerificationError | undefined {
  return text.startsWith('ERR ') ? new VerificationError('FETCH_FAILED', `remote error: ${text.slice(4)}`) : undefined;
}

/**
 * v0: "shallow"/"unshallow" lines and a flush (sent because we deepen), then
 * NAK, or one ACK when a `have` was common (no multi_ack was asked for).
 */
async function readV0Preamble(next: () => Promise<Pkt>): Promise<string[]> {
  const shallow: string[] = [];
  for (;;) {
    const p = await next();
    if (p.kind === 'flush') break;
    if (p.kind !== 'data') throw new VerificationError('FETCH_FAILED', 'unexpected packet in the shallow list');
    const text = pktText(p.data);
    const err = errorOf(text);
    if (err) throw err;
    if (text.startsWith('shallow ')) shallow.push(text.slice(8));
    else if (!text.startsWith('unshallow ')) throw new VerificationError('FETCH_FAILED', `unexpected line ${JSON.stringify(text)}`);
  }
  const nak = await next();
  const text = nak.kind === 'data' ? pktText(nak.data) : '';
  if (text !== 'NAK' && !text.startsWith('ACK ')) {
    throw new VerificationError('FETCH_FAILED', errorOf(text)?.message ?? `expected NAK, got ${JSON.stringify(text)}`);
  }
  return shallow;
}

/** v2: an optional "shallow-info" section, then "packfile". */
async function readV2Preamble(next: () => Promise<Pkt>): Promise<string[]> {
  const shallow: string[] = [];
  let section = '';
  for (;;) {
    const p = await next();
    if (p.kind === 'delim') {
      section = '';
      continue;
    }
    if (p.kind !== 'data') throw new VerificationError('FETCH_FAILED', 'upload-pack response ended before the packfile');
    const text = pktText(p.data);
    const err = errorOf(text);
    if (err) throw err;
    if (section === '') {
      if (text === 'packfile') return shallow;
      section = text;
      continue;
    }
    if (section === 'shallow-info') {
      if (text.startsWith('shallow ')) shallow.push(text.slice(8));
      else if (!text.startsWith('unshallow ')) throw new VerificationError('FETCH_FAILED', `unexpected line ${JSON.stringify(text)}`);
    }
    // Other sections (acknowledgments, wanted-refs) carry nothing we rely on.
  }
}
