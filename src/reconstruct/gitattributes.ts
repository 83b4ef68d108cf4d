// The .git/info/attributes that `dgit setup-gitattributes` writes into a
// fresh repository, made once per root filesystem and reused by every build
// in it. dgit's setup_gitattrs writes a fixed text for a repository without
// one (the `[attr]dgit-defuse-attrs` macro of the rootfs's dgit version and
// `* dgit-defuse-attrs`), so copying that text after `git init` gives the
// build the same file without starting dgit's Perl once more per build
// (about half a second). The text is made by the rootfs's own dgit, in the
// sandbox; a build without the copy runs dgit itself.
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox } from '../sandbox/index.js';

const cache = new Map<string, Promise<Buffer | undefined>>();

/** The file for the sandbox's root (undefined when dgit could not make it: the build then runs dgit itself). */
export function defusedGitattributes(sandbox: Sandbox, tmpDir?: string): Promise<Buffer | undefined> {
  const key = sandbox.root;
  let p = cache.get(key);
  if (!p) {
    p = make(sandbox, tmpDir);
    cache.set(key, p);
  }
  return p;
}

/** What dgit's is_gitattrs_setup accepts as set up: the macro, negating working-tree-encoding. */
const SET_UP = /^\[attr\]dgit-defuse-attrs\s.*\s-working-tree-encoding\b/m;

/**
 * In the root's own state directory (beside a cached rootfs, whose directory
 * is named by its recipe's hash, so the file belongs to that dgit): each
 * process, and each CLI run, would otherwise start dgit once to learn it.
 */
const savedFor = (sandbox: Sandbox): string | undefined =>
  sandbox.stateDir === undefined ? undefined : join(sandbox.stateDir, 'dgit-gitattributes');

async function make(sandbox: Sandbox, tmpDir?: string): Promise<Buffer | undefined> {
  const saved = savedFor(sandbox);
  const known = saved ? await readFile(saved).catch(() => undefined) : undefined;
  if (known && SET_UP.test(known.toString('utf8'))) return known;
  const made = await run(sandbox, tmpDir);
  if (made && saved)
    await writeFile(`${saved}.tmp`, made)
      .then(() => rename(`${saved}.tmp`, saved))
      .catch(() => undefined);
  return made;
}

async function run(sandbox: Sandbox, tmpDir?: string): Promise<Buffer | undefined> {
  const dir = await mkdtemp(join(tmpDir ?? tmpdir(), 't2u-gitattributes-'));
  try {
    const r = await sandbox.run({
      argv: [
        'sh',
        '-ec',
        'mkdir r; cd r; git init -q; dgit -wn -pgitattributes --build-products-dir=../bpd setup-gitattributes >/dev/null',
      ],
      workDir: dir,
      keep: ['r/.git/info/attributes'],
      timeoutMs: 60_000,
    });
    if (r.exitCode !== 0) return undefined;
    const text = await readFile(join(dir, 'r', '.git', 'info', 'attributes')).catch(() => undefined);
    return text && SET_UP.test(text.toString('utf8')) ? text : undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
