// The orig tarball `git deborig` makes when the archive has none:
// `git archive --prefix=SRC-UVER/ UPSTREAM`, rebuilt from git objects
// (git's archive.c and archive-tar.c):
// - a pax global header `comment=<commit id>` (git archive of a commit);
// - the prefix directory, then every entry in git's tree order, each
//   directory right before its contents;
// - modes from git's default tar.umask 002: files 0664, executables and
//   directories 0775, symlinks 0777; a gitlink becomes an empty directory;
// - every mtime is the commit's committer time; owner root/root, uid/gid 0.
// Attributes: git archive honours export-ignore and export-subst from the
// archived tree's .gitattributes. dgit ≥ 14's setup-gitattributes negates
// them (the builder's .git/info/attributes wins), dgit 12's does not; a tree
// that sets them under dgit 12 is not modelled here (the caller is told).
import type { ObjectReader } from '../../fetch/index.js';
import { readBlob, type TreeNode } from './git-tree.js';
import { DEFAULT_TAR_LIMITS, type TarLimits } from './dpkg-source-tar.js';
import { gitArchiveTar, type GitArchiveEntry } from './tar-writer.js';
import { UnsupportedInput } from './unsupported-input.js';

/** git's tar.umask default (archive-tar.c: tar_umask = 002). */
const GIT_TAR_UMASK = 0o002;
/** ustar's octal size field holds at most 8 GiB - 1; git then writes a pax "size" record, not modelled. */
const USTAR_MAX_SIZE = 0o77777777777;

export interface DeborigInput {
  readonly objects: ObjectReader;
  readonly commit: string;
  readonly committerTime: number;
  readonly root: readonly TreeNode[];
  /** `SRC-UVER` (git deborig's prefix, without the slash). */
  readonly prefix: string;
  readonly limits?: TarLimits;
}

/** git archive's tar of the upstream commit, as a stream (one blob in memory at a time). */
export function deborigTar(input: DeborigInput): AsyncGenerator<Buffer> {
  const limits = input.limits ?? DEFAULT_TAR_LIMITS;
  const mtime = input.committerTime;
  const dirMode = 0o777 & ~GIT_TAR_UMASK;
  let bytes = 0;
  const slash = Buffer.from('/');
  // The prefix directory entry carries the commit's own id in git (it is the root tree's entry).
  async function* walk(path: Buffer, oid: string, children: readonly TreeNode[]): AsyncGenerator<GitArchiveEntry> {
    yield { name: Buffer.concat([path, slash]), oid, type: 'dir', mode: dirMode, mtime };
    for (const n of children) {
      const name = Buffer.concat([path, slash, n.name]);
      if (n.kind === 'dir') yield* walk(name, n.oid, n.children ?? []);
      else if (n.kind === 'gitlink') yield { name: Buffer.concat([name, slash]), oid: n.oid, type: 'dir', mode: dirMode, mtime };
      else {
        const data = await readBlob(input.objects, n.oid);
        bytes += data.length;
        if (bytes > limits.maxBytes) throw new UnsupportedInput(`the upstream tree holds more than ${limits.maxBytes} bytes`);
        if (data.length > USTAR_MAX_SIZE) throw new UnsupportedInput('an upstream file is 8 GiB or more');
        if (n.kind === 'symlink') yield { name, oid: n.oid, type: 'symlink', mode: 0o777, mtime, linkname: data };
        else yield { name, oid: n.oid, type: 'file', mode: (n.executable ? 0o777 : 0o666) & ~GIT_TAR_UMASK, mtime, data };
      }
    }
  }
  return gitArchiveTar(input.commit, mtime, walk(Buffer.from(input.prefix, 'latin1'), input.commit, input.root));
}

/** Whether any .gitattributes in the tree mentions export-ignore or export-subst. */
export async function usesExportAttributes(objects: ObjectReader, root: readonly TreeNode[]): Promise<boolean> {
  const visit = async (nodes: readonly TreeNode[]): Promise<boolean> => {
    for (const n of nodes) {
      if (n.kind === 'dir' && (await visit(n.children ?? []))) return true;
      if (n.kind === 'file' && n.name.toString('latin1') === '.gitattributes') {
        if (/export-(?:ignore|subst)/.test((await readBlob(objects, n.oid)).toString('latin1'))) return true;
      }
    }
    return false;
  };
  return visit(root);
}
