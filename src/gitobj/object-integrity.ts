// Re-hashes git objects with SHA-1 collision detection (sha1dc) and checks
// that each hashes to its id. Used on every object the verifier reads, and
// over whole trees of a local repository, whose objects were not indexed by
// `git index-pack --strict` on their way in.
import { gitObjectId } from './sha1dc.js';
import { parseCommit, parseTree } from './commit-tree.js';

export type ObjectKind = 'commit' | 'tree' | 'blob' | 'tag';

export interface IntegrityProblem {
  readonly code: 'SHA1_COLLISION' | 'OBJECT_HASH_MISMATCH';
  readonly oid: string;
  readonly message: string;
}

export function checkObject(oid: string, type: ObjectKind, content: Uint8Array): IntegrityProblem | undefined {
  const { hash, collision } = gitObjectId(type, content);
  if (collision) {
    return { code: 'SHA1_COLLISION', oid, message: `${type} ${oid} carries a SHA-1 collision attack (sha1dc)` };
  }
  if (hash !== oid) {
    return { code: 'OBJECT_HASH_MISMATCH', oid, message: `${type} ${oid} hashes to ${hash}` };
  }
  return undefined;
}

export type ReadObject = (oid: string) => Promise<{ type: ObjectKind; content: Uint8Array } | undefined>;

export interface WalkResult {
  readonly objects: number;
  readonly bytes: number;
  readonly problems: IntegrityProblem[];
  readonly missing: string[];
}

/**
 * Checks `roots` and everything reachable from them without following commit
 * parents: tag → target, commit → tree, tree → subtrees and blobs. Gitlinks
 * (submodule commits) are not followed: they are not in this repository.
 */
export async function walkAndCheck(roots: readonly string[], read: ReadObject): Promise<WalkResult> {
  const seen = new Set<string>();
  const stack = [...roots];
  const problems: IntegrityProblem[] = [];
  const missing: string[] = [];
  let bytes = 0;
  while (stack.length > 0) {
    const oid = stack.pop()!;
    if (seen.has(oid)) continue;
    seen.add(oid);
    const obj = await read(oid);
    if (!obj) {
      missing.push(oid);
      continue;
    }
    bytes += obj.content.length;
    const problem = checkObject(oid, obj.type, obj.content);
    if (problem) {
      problems.push(problem);
      continue;
    }
    const content = Buffer.from(obj.content.buffer, obj.content.byteOffset, obj.content.byteLength);
    if (obj.type === 'tag') {
      const m = /^object ([0-9a-f]{40})\n/.exec(content.subarray(0, 48).toString('latin1'));
      if (m) stack.push(m[1]!);
    } else if (obj.type === 'commit') {
      stack.push(parseCommit(content).tree);
    } else if (obj.type === 'tree') {
      for (const e of parseTree(content)) if (e.kind !== 'commit') stack.push(e.oid);
    }
  }
  return { objects: seen.size - missing.length, bytes, problems, missing };
}
