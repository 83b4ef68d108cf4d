// Ref discovery over git's smart HTTP (gitprotocol-http(5), gitprotocol-v2(5)):
// the `info/refs?service=git-upload-pack` advertisement, answered in protocol v2
// (capabilities only) or v0/v1 (every ref, capabilities on the first), and the
// v2 `ls-refs` command restricted to one ref prefix. The answers are read as
// pkt-lines under a byte cap; an answer that is not git's smart protocol is
// named by its size, never quoted (it may be any page the URL serves).
import { capStream, type HttpTransport } from '../net/http-transport.js';
import { DELIM, FLUSH, pktLine, pktText, readPkts, type Pkt } from './pkt-line.js';
import { VerificationError } from '../report/verification-error.js';
import { isFormatError } from '../report/format-error.js';

export interface ServerRef {
  readonly ref: string;
  readonly oid: string;
  /** What an annotated tag peels to, when the server says. */
  readonly peeled?: string;
}

export interface Advertisement {
  /** The repository URL after the redirects of the first request (git follows those only). */
  readonly url: string;
  readonly protocol: 1 | 2;
  readonly capabilities: Record<string, string | true>;
  /** v0/v1 only: every ref, as the advertisement lists them. */
  readonly refs?: ServerRef[];
}

const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const ADVERTISEMENT = 'application/x-git-upload-pack-advertisement';
const RESULT = 'application/x-git-upload-pack-result';

function notGit(url: string, why: string): VerificationError {
  return new VerificationError('FETCH_FAILED', `${url}: the server did not answer in git's smart HTTP protocol (${why})`);
}

/** The packets of an answer, capped at `maxBytes` in all; the end of the answer reads as an `end` packet. */
function packets(body: AsyncIterable<Buffer>, maxBytes: number, what: string, url: string): () => Promise<Pkt> {
  const it = readPkts(capStream(body, maxBytes, what))[Symbol.asyncIterator]();
  return async () => {
    try {
      const r = await it.next();
      return r.done ? { kind: 'end' } : r.value;
    } catch (err) {
      if (isFormatError(err, 'pkt-line')) throw notGit(url, err.message);
      throw err;
    }
  };
}

/**
 * Asks for the advertisement; `protocol` 2 sends `Git-Protocol: version=2`,
 * which a server that speaks only v0 ignores.
 */
export async function discoverRefs(transport: HttpTransport, url: string, protocol: 1 | 2, maxBytes: number): Promise<Advertisement> {
  const base = url.replace(/\/$/, '');
  const res = await transport.request({
    url: `${base}/info/refs?service=git-upload-pack`,
    method: 'GET',
    headers: protocol === 2 ? { 'git-protocol': 'version=2' } : {},
    maxRedirects: 3,
  });
  const finalUrl = res.url.replace(/\/info\/refs\?service=git-upload-pack$/, '');
  if (res.statusCode !== 200) {
    destroy(res.body);
    throw new VerificationError('FETCH_FAILED', `${url}: HTTP ${res.statusCode} ${res.statusMessage}`.trim());
  }
  const ctype = res.headers['content-type'] ?? '';
  if (ctype.split(';')[0]!.trim() !== ADVERTISEMENT) {
    destroy(res.body);
    throw notGit(url, `content-type ${JSON.stringify(ctype)}`);
  }
  const next = packets(res.body, maxBytes, `the answer of ${res.url}`, url);
  let p = await next();
  while (p.kind === 'flush') p = await next();
  let line = p.kind === 'data' ? pktText(p.data) : '';
  // A v2 server may answer without the "# service" preamble.
  if (line === '# service=git-upload-pack') {
    // The service line's section ends with a flush; a repository without
    // refs may then send nothing but another flush.
    p = await next();
    if (p.kind === 'flush') p = await next();
    if (p.kind === 'flush') return { url: finalUrl, protocol: 1, capabilities: {}, refs: [] };
    line = p.kind === 'data' ? pktText(p.data) : '';
  } else if (line !== 'version 2') {
    throw notGit(url, 'no service line');
  }
  if (line === 'version 2') return { url: finalUrl, protocol: 2, capabilities: await readCapabilitiesV2(next, url) };
  if (line === 'version 1') {
    p = await next();
    line = p.kind === 'data' ? pktText(p.data) : '';
  }
  if (p.kind === 'end') throw notGit(url, 'the answer ended early');
  return { url: finalUrl, protocol: 1, ...(await readRefsV0(line, p, next, url)) };
}

async function readCapabilitiesV2(next: () => Promise<Pkt>, url: string): Promise<Record<string, string | true>> {
  const caps: Record<string, string | true> = {};
  for (;;) {
    const p = await next();
    if (p.kind === 'flush') return caps;
    if (p.kind === 'end') throw notGit(url, 'the answer ended early');
    if (p.kind !== 'data') continue;
    const line = pktText(p.data);
    const eq = line.indexOf('=');
    if (eq < 0) caps[line] = true;
    else caps[line.slice(0, eq)] = line.slice(eq + 1);
  }
}

/** v0/v1: "<oid> <name>\0<capabilities>", then "<oid> <name>" lines, peeled tags as "<name>^{}". */
async function readRefsV0(
  first: string,
  firstPkt: Pkt,
  next: () => Promise<Pkt>,
  url: string,
): Promise<{ capabilities: Record<string, string | true>; refs: ServerRef[] }> {
  const capabilities: Record<string, string | true> = {};
  const refs: ServerRef[] = [];
  if (firstPkt.kind === 'flush') return { capabilities, refs };
  if (firstPkt.kind !== 'data') throw notGit(url, 'the answer ended early');
  const nul = first.indexOf('\0');
  if (nul < 0) throw notGit(url, 'no capabilities on the first ref');
  for (const cap of first.slice(nul + 1).split(' ')) {
    if (cap === '') continue;
    const eq = cap.indexOf('=');
    if (eq < 0) capabilities[cap] = true;
    else capabilities[cap.slice(0, eq)] = cap.slice(eq + 1);
  }
  const byName = new Map<string, number>();
  const add = (line: string): void => {
    const sp = line.indexOf(' ');
    const oid = line.slice(0, sp);
    const name = line.slice(sp + 1);
    if (sp < 0 || !OID.test(oid) || name === '') throw notGit(url, 'a malformed ref line');
    if (name === 'capabilities^{}') return;
    if (name.endsWith('^{}')) {
      const i = byName.get(name.slice(0, -3));
      if (i !== undefined) refs[i] = { ...refs[i]!, peeled: oid };
      return;
    }
    byName.set(name, refs.length);
    refs.push({ ref: name, oid });
  };
  add(first.slice(0, nul));
  for (;;) {
    const p = await next();
    if (p.kind === 'flush') return { capabilities, refs };
    if (p.kind === 'end') throw notGit(url, 'the answer ended early');
    if (p.kind === 'data') add(pktText(p.data));
  }
}

/** v2 `ls-refs` for the refs starting with `prefix`, with peeled tags. */
export async function lsRefs(
  transport: HttpTransport,
  adv: Advertisement,
  prefix: string,
  agent: string,
  maxBytes: number,
): Promise<ServerRef[]> {
  if (adv.capabilities['ls-refs'] === undefined) throw notGit(adv.url, 'protocol v2 without ls-refs');
  const lines = [pktLine('command=ls-refs\n'), pktLine(`agent=${agent}\n`)];
  if (adv.capabilities['object-format'] !== undefined) lines.push(pktLine('object-format=sha1\n'));
  lines.push(DELIM, pktLine('peel\n'), pktLine(`ref-prefix ${prefix}\n`), FLUSH);
  const res = await transport.request({
    url: `${adv.url.replace(/\/$/, '')}/git-upload-pack`,
    method: 'POST',
    headers: { 'content-type': 'application/x-git-upload-pack-request', accept: RESULT, 'git-protocol': 'version=2' },
    body: Buffer.concat(lines),
  });
  if (res.statusCode !== 200) {
    destroy(res.body);
    throw new VerificationError('FETCH_FAILED', `${adv.url}: HTTP ${res.statusCode} ${res.statusMessage}`.trim());
  }
  const ctype = res.headers['content-type'] ?? '';
  if (ctype.split(';')[0]!.trim() !== RESULT) {
    destroy(res.body);
    throw notGit(adv.url, `content-type ${JSON.stringify(ctype)}`);
  }
  const next = packets(res.body, maxBytes, `the answer of ${adv.url}/git-upload-pack`, adv.url);
  const refs: ServerRef[] = [];
  for (;;) {
    const p = await next();
    if (p.kind === 'flush') return refs;
    if (p.kind === 'end') throw notGit(adv.url, 'the answer ended early');
    if (p.kind !== 'data') throw notGit(adv.url, 'an unexpected packet in the ref list');
    const text = pktText(p.data);
    if (text.startsWith('ERR ')) throw new VerificationError('FETCH_FAILED', `remote error: ${text.slice(4)}`);
    // "<oid> <name>[ symref-target:<t>][ peeled:<oid>]"
    const [oid, name, ...attrs] = text.split(' ');
    if (oid === undefined || !OID.test(oid) || name === undefined || name === '') throw notGit(adv.url, 'a malformed ref line');
    const peeled = attrs.find((a) => a.startsWith('peeled:'))?.slice(7);
    if (peeled !== undefined && !OID.test(peeled)) throw notGit(adv.url, 'a malformed peeled oid');
    refs.push({ ref: name, oid, ...(peeled !== undefined ? { peeled } : {}) });
  }
}

function destroy(body: AsyncIterable<Buffer>): void {
  (body as { destroy?: () => void }).destroy?.();
}
