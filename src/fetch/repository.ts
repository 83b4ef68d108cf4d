// The repository adapter the pipeline works against: a remote over smart
// HTTP(S) or a local checkout read in place.
import type { ObjectReader } from './cat-file-reader.js';

export interface RefInfo {
  /** What the ref points at: a tag object for an annotated tag, a commit for a lightweight one. */
  readonly oid: string;
  /** The object the tag peels to, when the source reports it. */
  readonly peeled?: string;
}

export interface Repository {
  readonly kind: 'remote' | 'local';
  /** URL or path, as given. */
  readonly location: string;
  resolveTag(name: string): Promise<RefInfo | undefined>;
  /**
   * Says that objects will be fetched and read: the sandboxed helpers that
   * takes (index-pack for the first pack, the object reader) start now, so
   * that their start overlaps the ref lookup. Closing the repository stops
   * what was not used.
   */
  prepare(): void;
  /**
   * Makes the object `oid` (a tag) and what it needs readable: its target
   * commit and that commit's tree. A shallow fetch for a remote; nothing for a
   * local repository, which has its objects already.
   */
  fetchObjects(oid: string): Promise<void>;
  /**
   * Makes the whole history of `oids` (tags) readable: what dgit's build
   * walks. Fetches what is not here yet with its history, and deepens what
   * an earlier fetchObjects brought shallowly.
   */
  fetchHistory(oids: readonly string[]): Promise<void>;
  /**
   * The object reader: one long-running process, started again when the
   * last one has ended (idle, or its time limit). A reader started by this
   * call lives at most `timeoutMs` (default the repository's own limit, the
   * fetch's): a caller that reads for longer (the second toolchain of a large
   * upload, after its build) gives its own.
   */
  objects(options?: { readonly timeoutMs?: number }): ObjectReader;
  /**
   * Ends the object reader's process until objects() is next asked for: a
   * long wait (a large upload's build, minutes beside its compressor) holds
   * no reader (a sandbox of git cat-file, about 8 MiB resident), and the
   * reader's time limit starts again when it is needed.
   */
  idle(): Promise<void>;
  /**
   * A git repository on the host that the sandboxed builder may fetch
   * `refs` from (tag name → object id, objects already fetched): the private
   * object store, with those refs written, for a remote; the repository
   * itself for a local path (its refs are its own: the builder checks that
   * they still name the judged objects).
   */
  buildSource(refs: ReadonlyMap<string, string>): Promise<string>;
  /**
   * The path buildSource gives, known before it is asked for: a build
   * started before the tag is authenticated (reconstruct/build.ts
   * warmBuild) binds it then, and reads it only once buildSource has
   * written the refs.
   */
  buildSourcePath(): string;
  close(): Promise<void>;
}
