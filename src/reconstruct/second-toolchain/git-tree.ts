// A commit's tree read from git objects, as a checkout would lay it out: the
// second toolchain never looks at a working tree, only at the objects the
// tag names. Blob contents are read on demand, so a tree is cheap to hold.
import type { ObjectReader } from '../../fetch/index.js';
import { parseCommit, parseTree } from '../../gitobj/commit-tree.js';
import { isFormatError } from '../../report/format-error.js';
import { UnsupportedInput } from './unsupported-input.js';

export type NodeKind = 'dir' | 'file' | 'symlink' | 'gitlink';

export interface TreeNode {
  /** The entry name (bytes: git paths need not be UTF-8). */
  readonly name: Buffer;
  readonly kind: NodeKind;
  /** Blob id (file, symlink), tree id (dir) or commit id (gitlink). */
  readonly oid: string;
  /** git's 100755: checked out executable. */
  readonly executable: boolean;
  /** Children of a directory, in git's tree order. */
  readonly children?: readonly TreeNode[];
}

export interface CommitInfo {
  readonly tree: string;
  /** The committer time (seconds since the epoch): git archive's mtime for a commit. */
  readonly committerTime: number;
}

/** Limits on what one tree may hold, so a hostile repository cannot exhaust memory. */
export interface TreeLimits {
  readonly maxEntries: number;
  readonly maxDepth: number;
}

export const DEFAULT_TREE_LIMITS: TreeLimits = { maxEntries: 1_000_000, maxDepth: 200 };

async function readTyped(objects: ObjectReader, oid: string, type: 'commit' | 'tree' | 'blob'): Promise<Buffer> {
  const o = await objects.read(oid);
  if (!o) throw new UnsupportedInput(`object ${oid} is missing`);
  if (o.type !== type) throw new UnsupportedInput(`object ${oid} is a ${o.type}, expected a ${type}`);
  return o.content;
}

/** The tree and committer time of a commit. */
export async function readCommitInfo(objects: ObjectReader, commit: string): Promise<CommitInfo> {
  const content = await readTyped(objects, commit, 'commit');
  let tree: string;
  try {
    tree = parseCommit(content).tree;
  } catch (e) {
    if (isFormatError(e, 'git-object')) throw new UnsupportedInput(`commit ${commit}: ${e.message}`);
    throw e;
  }
  const end = content.indexOf('\n\n');
  const head = content.subarray(0, end === -1 ? content.length : end).toString('latin1');
  // "committer Name <email> 1709251260 +0000": git archive uses this time (archive.c, commit->date).
  const m = /^committer .*> (\d+) [-+]\d{4}$/m.exec(head);
  if (!m) throw new UnsupportedInput(`commit ${commit} has no parsable committer line`);
  return { tree, committerTime: Number(m[1]) };
}

/** Reads a whole tree recursively. */
export async function readTree(objects: ObjectReader, tree: string, limits: TreeLimits = DEFAULT_TREE_LIMITS): Promise<TreeNode[]> {
  let count = 0;
  const walk = async (oid: string, depth: number): Promise<TreeNode[]> => {
    if (depth > limits.maxDepth) throw new UnsupportedInput(`tree nesting deeper than ${limits.maxDepth}`);
    let entries;
    try {
      entries = parseTree(await readTyped(objects, oid, 'tree'));
    } catch (e) {
      if (isFormatError(e, 'git-object')) throw new UnsupportedInput(`tree ${oid}: ${e.message}`);
      throw e;
    }
    const out: TreeNode[] = [];
    for (const e of entries) {
      if (++count > limits.maxEntries) throw new UnsupportedInput(`tree has more than ${limits.maxEntries} entries`);
      const name = e.name.toString('latin1');
      // A checkout refuses these names (git's verify_path), so no builder could have archived them.
      if (name === '' || name === '.' || name === '..' || name.includes('/') || /^\.git$/i.test(name)) {
        throw new UnsupportedInput(`tree ${oid} has an entry named ${JSON.stringify(name)}, which git would not check out`);
      }
      const mode = e.mode.replace(/^0/, '');
      if (e.kind === 'tree') out.push({ name: e.name, kind: 'dir', oid: e.oid, executable: false, children: await walk(e.oid, depth + 1) });
      else if (e.kind === 'commit') out.push({ name: e.name, kind: 'gitlink', oid: e.oid, executable: false });
      else if (mode === '120000') out.push({ name: e.name, kind: 'symlink', oid: e.oid, executable: false });
      // git checks out 100755 as executable and any other blob mode (100644, the old 100664) as not.
      else out.push({ name: e.name, kind: 'file', oid: e.oid, executable: mode === '100755' });
    }
    return out;
  };
  return walk(tree, 0);
}

/** The node at a '/'-separated path, or undefined. */
export function findNode(nodes: readonly TreeNode[], path: string): TreeNode | undefined {
  const [first, ...rest] = path.split('/');
  const node = nodes.find((n) => n.name.toString('latin1') === first);
  if (!node || rest.length === 0) return node;
  return node.children ? findNode(node.children, rest.join('/')) : undefined;
}

/** A blob's bytes. */
export function readBlob(objects: ObjectReader, oid: string): Promise<Buffer> {
  return readTyped(objects, oid, 'blob');
}

/** The bytes of the file at `path`, or undefined when there is no regular file there. */
export async function readFileAt(objects: ObjectReader, nodes: readonly TreeNode[], path: string): Promise<Buffer | undefined> {
  const node = findNode(nodes, path);
  return node?.kind === 'file' ? readBlob(objects, node.oid) : undefined;
}
