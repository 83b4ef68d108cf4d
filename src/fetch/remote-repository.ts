// A repository reached over smart HTTP(S): refs are discovered once
// (src/fetch/ref-discovery.ts: protocol v2 `ls-refs` of the tags when the
// server speaks v2, the v0 advertisement otherwise), and each wanted tag is
// fetched, shallowly or with its history, into a private object store,
// bounded in time and size.
import { HttpTransport, abortError } from '../net/http-transport.js';
import { ObjectStore, type Indexer } from './object-store.js';
import type { CatFileReader, ObjectReader } from './cat-file-reader.js';
import { fetchPack } from './upload-pack.js';
import { discoverRefs, lsRefs, type Advertisement, type ServerRef } from './ref-discovery.js';
import type { UrlPolicy } from '../net/url-policy.js';
import { checkRepositoryUrl } from '../net/url-policy.js';
import type { RefInfo, Repository } from './repository.js';
import { isVerificationError, VerificationError } from '../report/verification-error.js';

export interface RemoteLimits {
  /** Wall-clock limit for everything this repository does (discovery, packs, indexing). */
  timeoutMs: number;
  /** Maximum bytes of pack data per fetch. */
  maxPackBytes: number;
  /** Maximum size of one object read back. */
  maxObjectBytes: number;
  /** Maximum size of a ref advertisement. */
  maxRefsBytes: number;
}

const AGENT = 't2u-verify/0.1';

export class RemoteRepository implements Repository {
  readonly kind = 'remote';
  private reader: CatFileReader | undefined;
  private closed = false;
  /** Pack bytes received by the fetches that completed. */
  packBytes = 0;
  /**
   * Objects in the object store with all they reach down to its shallow
   * boundaries: what every fetch so far wanted (the tags) and the commits it
   * ended at, each with its tree.
   */
  private readonly haves = new Set<string>();
  /** v2: the tags, once listed. */
  private tags: Promise<ServerRef[]> | undefined;
  /** v2: the tags as listed beside the discovery (undefined when that listing failed), when it can stand for the listing. */
  private listedEarly: Promise<ServerRef[] | undefined> | undefined;
  /** An index-pack started ahead of the next fetch (prepare()). */
  private spare: Indexer | undefined;
  /**
   * Told the pack bytes received so far by this repository, every fetch
   * included, as they arrive: a running count for progress lines.
   */
  onPackBytes: ((bytes: number) => void) | undefined;

  private constructor(
    readonly location: string,
    private readonly transport: HttpTransport,
    private readonly controller: AbortController,
    private readonly timer: NodeJS.Timeout,
    private readonly limits: RemoteLimits,
    private readonly store: ObjectStore,
    /** What discovery found: protocol, capabilities, the URL after redirects, and (v0) the refs. */
    private readonly adv: Advertisement,
  ) {}

  /**
   * `protocolVersion` is what we ask for; a server that does not speak v2
   * answers with the v0 advertisement, which is handled as well.
   */
  static async open(url: string, policy: UrlPolicy, limits: RemoteLimits, protocolVersion: 1 | 2 = 2): Promise<RemoteRepository> {
    checkRepositoryUrl(url, policy);
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new VerificationError('FETCH_TIMEOUT', `fetching from ${url} took longer than ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    timer.unref();
    const transport = new HttpTransport({ policy, signal: controller.signal, userAgent: `git/2.0 (${AGENT})` });
    // The private object store is made while the server answers.
    const storing = ObjectStore.create({ timeoutMs: limits.timeoutMs, maxObjectBytes: limits.maxObjectBytes });
    // v2: the tags are asked for beside the discovery, one round trip where
    // there were two. Used only when the discovery shows a v2 server with
    // ls-refs, sha1 objects and no redirect (the request went to the URL
    // the discovery answered from); otherwise, or when it failed, they are
    // asked for again, after the discovery, as before. Bounded as any answer.
    const base = url.replace(/\/$/, '');
    const early =
      protocolVersion === 2
        ? lsRefs(transport, { url: base, protocol: 2, capabilities: { 'ls-refs': true } }, 'refs/tags/', AGENT, limits.maxRefsBytes).then(
            (refs) => refs,
            () => undefined,
          )
        : undefined;
    try {
      const adv = await withAbort(controller.signal, () => discoverRefs(transport, url, protocolVersion, limits.maxRefsBytes));
      const format = adv.capabilities['object-format'];
      if (format !== undefined && format !== 'sha1') {
        throw new VerificationError(
          'UNSUPPORTED_OBJECT_FORMAT',
          `the repository uses object-format=${String(format)}; only sha1 is supported`,
        );
      }
      const repo = new RemoteRepository(url, transport, controller, timer, limits, await storing, adv);
      if (early && adv.protocol === 2 && adv.url === base && adv.capabilities['ls-refs'] !== undefined) repo.listedEarly = early;
      return repo;
    } catch (err) {
      const failure = normalise(err, controller.signal, url);
      // The early listing, if still under way, goes with the rest.
      controller.abort(failure);
      clearTimeout(timer);
      await storing.then(
        (s) => s.dispose(),
        () => undefined,
      );
      throw failure;
    }
  }

  async resolveTag(name: string): Promise<RefInfo | undefined> {
    const ref = `refs/tags/${name}`;
    const refs = this.adv.refs ?? (await this.listTags());
    const hit = refs.find((r) => r.ref === ref);
    if (!hit) return undefined;
    return { oid: hit.oid, ...(hit.peeled ? { peeled: hit.peeled } : {}) };
  }

  prepare(): void {
    if (this.closed) return;
    this.spare ??= this.store.startIndexPack();
    this.objects();
  }

  /**
   * v2: every tag, listed by one `ls-refs` and kept: the tag and the
   * upstream tag it names resolve from one listing, one round trip, as the
   * v0 advertisement (every ref) does for v0. Under the same size cap.
   */
  private listTags(): Promise<ServerRef[]> {
    const early = this.listedEarly;
    this.tags ??= withAbort(this.controller.signal, async () => {
      const refs = early ? await early : undefined;
      return refs ?? lsRefs(this.transport, this.adv, 'refs/tags/', AGENT, this.limits.maxRefsBytes);
    }).catch((err: unknown) => {
      throw normalise(err, this.controller.signal, this.location);
    });
    return this.tags;
  }

  /**
   * Fetches `oid` (a tag object) with depth 1 into the object store. A later
   * fetch (the upstream tag after the Debian tag) negotiates as `git fetch`
   * does in a shallow repository: it names the commits already here as
   * `have` and the store's boundaries as `shallow`, so the server sends only
   * the objects those commits' trees lack, not the shared upstream files again.
   */
  async fetchObjects(oid: string): Promise<void> {
    if (this.haves.has(oid)) return;
    await this.fetchInto([oid], 1, await this.store.shallow());
  }

  /**
   * Makes the whole history of `oids` readable in one fetch (deepen
   * 2147483647, git's infinite depth): the objects not fetched yet come with
   * their history, and what earlier fetches brought shallowly is deepened, as
   * `git fetch --unshallow` does (sending our shallow boundaries). dgit's
   * build walks history (gbp pq, quilt linearisation) in playtrees that do
   * not carry a shallow file. Named as `have`, what the store holds is not
   * sent again. Bounded by the same pack limit and deadline as every fetch.
   */
  async fetchHistory(oids: readonly string[]): Promise<void> {
    const before = await this.store.shallow();
    const wants = before.length > 0 ? oids : oids.filter((oid) => !this.haves.has(oid));
    if (wants.length === 0) return;
    const remaining = await this.fetchInto(wants, 2147483647, before);
    await this.store.setShallow(remaining);
  }

  /** One pack into the object store; returns the server's shallow boundaries. */
  private async fetchInto(wants: readonly string[], depth: number, shallow: readonly string[]): Promise<string[]> {
    const signal = this.controller.signal;
    // The sandboxes start while the server prepares the pack, not after it:
    // index-pack waits on its stdin, and git reads the shallow file only
    // when it parses the first commit, after the boundaries are recorded
    // below. The object reader, which every fetch is followed by, starts
    // now too; git cat-file looks again for packs that arrive after it
    // started.
    const indexer = this.spare ?? this.store.startIndexPack();
    this.spare = undefined;
    this.objects();
    // index-pack ending before the pack does (an object it rejects, a
    // sandbox that could not start) stops the fetch at once, with its reason.
    let endedEarly = false;
    void indexer.done().then(
      () => undefined,
      () => {
        endedEarly = !indexer.sink.writableFinished;
        indexer.sink.destroy();
      },
    );
    try {
      const result = await withAbort(signal, () =>
        fetchPack(
          this.transport,
          {
            baseUrl: this.adv.url,
            protocol: this.adv.protocol,
            capabilities: this.adv.capabilities,
            wants,
            depth,
            shallow,
            haves: [...this.haves],
            agent: AGENT,
            maxPackBytes: this.limits.maxPackBytes - this.packBytes,
            ...(this.onPackBytes !== undefined && { onPackBytes: (n: number) => this.onPackBytes?.(this.packBytes + n) }),
          },
          async (boundaries) => {
            await this.store.addShallow(boundaries);
            return indexer.sink;
          },
        ),
      );
      this.packBytes += result.packBytes;
      await indexer.done();
      // The boundaries are commits the pack brought (or the store had), trees included.
      for (const oid of [...wants, ...result.shallow]) this.haves.add(oid);
      return result.shallow;
    } catch (err) {
      // The pack is incomplete or never came: index-pack is killed, not left waiting for more.
      const early = endedEarly;
      if (!early) indexer.abort();
      // index-pack's own verdict (e.g. a detected collision) is the more precise reason.
      const indexed = await indexer.done().then(
        () => undefined,
        (e: unknown) => e,
      );
      if (isVerificationError(indexed) && (early || indexed.code === 'SHA1_COLLISION')) throw indexed;
      throw normalise(err, signal, this.location);
    }
  }

  async buildSource(refs: ReadonlyMap<string, string>): Promise<string> {
    await this.store.writeTagRefs(refs);
    return this.buildSourcePath();
  }

  buildSourcePath(): string {
    return this.store.gitDir;
  }

  objects(options: { readonly timeoutMs?: number } = {}): ObjectReader {
    // Once the repository is closed, no reader is started again.
    if (!this.reader || (this.reader.ended && !this.closed)) this.reader = this.store.reader(options.timeoutMs);
    return this.reader;
  }

  async idle(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.controller.abort(new VerificationError('FETCH_FAILED', 'repository closed'));
    const spare = this.spare;
    this.spare = undefined;
    spare?.abort();
    await Promise.all([this.reader?.close(), spare?.done().catch(() => undefined)]);
    await this.store.dispose();
  }
}

async function withAbort<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  if (signal.aborted) throw abortError(signal);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([fn(), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

function normalise(err: unknown, signal: AbortSignal, url: string): VerificationError {
  if (isVerificationError(err)) return err;
  if (signal.aborted) return abortError(signal);
  return new VerificationError('FETCH_FAILED', `${url}: ${(err as Error | undefined)?.message ?? String(err)}`, { cause: err });
}
