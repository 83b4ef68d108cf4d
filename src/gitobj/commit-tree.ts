// Minimal parsers for the git commit and tree objects the verifier walks.
import { FormatError } from '../report/format-error.js';

export interface TreeEntry {
  readonly mode: string;
  readonly name: Buffer;
  readonly oid: string;
  readonly kind: 'tree' | 'blob' | 'commit';
}

/** The `tree` and `parent` headers of a commit object. */
export function parseCommit(content: Buffer): { tree: string; parents: string[] } {
  const end = content.indexOf('\n\n');
  const head = content
    .subarray(0, end === -1 ? content.length : end)
    .toString('latin1')
    .split('\n');
  const tree = /^tree ([0-9a-f]{40})$/.exec(head[0] ?? '');
  if (!tree) throw new FormatError('git-object', 'commit does not start with a tree header');
  const parents: string[] = [];
  for (const line of head.slice(1)) {
    const m = /^parent ([0-9a-f]{40})$/.exec(line);
    if (m) parents.push(m[1]!);
    else break;
  }
  return { tree: tree[1]!, parents };
}

/** Tree entries: "<octal mode> <name>\0<20-byte id>" repeated. */
export function parseTree(content: Buffer): TreeEntry[] {
  const out: TreeEntry[] = [];
  let pos = 0;
  while (pos < content.length) {
    const sp = content.indexOf(0x20, pos);
    const nul = content.indexOf(0x00, sp + 1);
    if (sp === -1 || nul === -1 || nul + 21 > content.length) throw new FormatError('git-object', 'truncated tree entry');
    const mode = content.subarray(pos, sp).toString('latin1');
    if (!/^[0-7]{5,6}$/.test(mode)) throw new FormatError('git-object', `bad tree entry mode ${JSON.stringify(mode)}`);
    const name = content.subarray(sp + 1, nul);
    const oid = content.subarray(nul + 1, nul + 21).toString('hex');
    const kind = mode === '40000' || mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
    out.push({ mode, name, oid, kind });
    pos = nul + 21;
  }
  return out;
}
