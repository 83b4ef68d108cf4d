// The integrity walk over a real local repository: it re-hashes (sha1dc) every
// object the tag reaches without following history, and reports objects whose
// content does not hash to their id, and missing ones.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkAndCheck, type ReadObject } from '../../src/gitobj/object-integrity.js';
import { LocalRepository } from '../../src/fetch/local-repository.js';

let root: string;
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', ...args], { cwd, encoding: 'utf8' }).trim();

function makeRepo(name: string): { dir: string; tag: string; commit: string } {
  const dir = join(root, name);
  mkdirSync(join(dir, 'debian', 'source'), { recursive: true });
  mkdirSync(join(dir, 'src', 'deep', 'er'), { recursive: true });
  writeFileSync(join(dir, 'debian', 'changelog'), 'x (1-1) unstable; urgency=low\n');
  writeFileSync(join(dir, 'debian', 'source', 'format'), '3.0 (native)\n');
  writeFileSync(join(dir, 'src', 'a.c'), 'int a;\n');
  writeFileSync(join(dir, 'src', 'deep', 'er', 'b.c'), 'int b;\n');
  writeFileSync(join(dir, 'dup1'), 'same\n');
  writeFileSync(join(dir, 'dup2'), 'same\n');
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'one');
  writeFileSync(join(dir, 'src', 'a.c'), 'int a = 2;\n');
  git(dir, 'commit', '-qam', 'two');
  git(dir, 'tag', '-a', '-m', 't', 'debian/1-1');
  return { dir, tag: git(dir, 'rev-parse', 'debian/1-1'), commit: git(dir, 'rev-parse', 'HEAD') };
}

/** Every object of the commit's tree, the commit and the tag, as git lists them. */
function expectedObjects(dir: string, tag: string, commit: string): Set<string> {
  const tree = git(dir, 'rev-parse', `${commit}^{tree}`);
  const listed = git(dir, 'ls-tree', '-r', '-t', commit)
    .split('\n')
    .map((l) => l.split(/\s+/)[2]!);
  return new Set([tag, commit, tree, ...listed]);
}

function looseObjectPath(dir: string, oid: string): string {
  return join(dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2));
}

async function withReader<T>(dir: string, fn: (read: ReadObject, seen: string[]) => Promise<T>): Promise<T> {
  const repo = await LocalRepository.open(dir, { timeoutMs: 30_000, maxObjectBytes: 1 << 20 });
  const seen: string[] = [];
  try {
    return await fn(async (oid) => {
      seen.push(oid);
      const o = await repo.objects().read(oid);
      return o ? { type: o.type, content: o.content } : undefined;
    }, seen);
  } finally {
    await repo.close();
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 't2u-integrity-'));
  chmodSync(root, 0o755);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('walkAndCheck', () => {
  it('hashes exactly the objects the tag reaches (tree included, history excluded), once each', async () => {
    const { dir, tag, commit } = makeRepo('clean');
    const expected = expectedObjects(dir, tag, commit);
    await withReader(dir, async (read, seen) => {
      const r = await walkAndCheck([tag], read);
      expect(r.problems).toEqual([]);
      expect(r.missing).toEqual([]);
      expect(r.objects).toBe(expected.size);
      expect(new Set(seen)).toEqual(expected);
      // The parent commit is history: not walked.
      expect(seen).not.toContain(git(dir, 'rev-parse', 'HEAD~1'));
    });
  });

  it('reports an object whose stored content does not hash to its id (OBJECT_HASH_MISMATCH)', async () => {
    const { dir, tag, commit } = makeRepo('corrupt');
    const blob = git(dir, 'rev-parse', `${commit}:src/deep/er/b.c`);
    // git cat-file does not re-hash: the walk must notice the substitution.
    const other = Buffer.from('int evil;\n');
    const file = looseObjectPath(dir, blob);
    chmodSync(file, 0o644);
    writeFileSync(file, deflateSync(Buffer.concat([Buffer.from(`blob ${other.length}\0`), other])));
    await withReader(dir, async (read) => {
      const r = await walkAndCheck([tag], read);
      expect(r.problems).toEqual([expect.objectContaining({ code: 'OBJECT_HASH_MISMATCH', oid: blob })]);
    });
  });

  it('reports objects the repository lacks', async () => {
    const { dir, tag, commit } = makeRepo('missing');
    const blob = git(dir, 'rev-parse', `${commit}:src/a.c`);
    unlinkSync(looseObjectPath(dir, blob));
    await withReader(dir, async (read) => {
      const r = await walkAndCheck([tag], read);
      expect(r.missing).toEqual([blob]);
      expect(r.problems).toEqual([]);
    });
  });
});
