// The tarballs dpkg-source makes from the checked-out tree, rebuilt from git
// objects: `SRC_VER.debian.tar` (3.0 (quilt): the tree's debian/ directory,
// Dpkg::Source::Package::V2 do_build `add_directory('debian')`) and the
// native tarball (3.0 (native) and 1.0 native: the whole tree under the
// playtree's name, which dgit's tag2upload builder mode calls `work`).
//
// What the bytes follow:
// - dgit passes `-I.git`, which replaces dpkg-source's default tar-ignore
//   list with the one pattern `.git` (tar `--exclude=.git`, unanchored: any
//   member so named, at any depth): `.gitignore` and the like are kept.
// - tar runs with `--sort=name` (gnulib savedir: each directory's entries
//   in strcmp order, a directory's contents right after it).
// - modes are the checkout's: git creates files 0666 and executables and
//   directories 0777, less the builder's umask; symlinks are 0777.
// - `--mtime=@SOURCE_DATE_EPOCH --clamp-mtime`: the checkout is newer than
//   the changelog date, so every member gets SOURCE_DATE_EPOCH.
// - a gitlink (submodule) checks out as an empty directory.
import type { ObjectReader } from '../../fetch/index.js';
import { readBlob, type TreeNode } from './git-tree.js';
import { gnuTar, type TarEntry } from './tar-writer.js';
import { UnsupportedInput } from './unsupported-input.js';

export type Umask = '0022' | '0002';

export interface CheckoutModes {
  readonly file: number;
  readonly executable: number;
  readonly dir: number;
}

export function checkoutModes(umask: Umask): CheckoutModes {
  const mask = parseInt(umask, 8);
  return { file: 0o666 & ~mask, executable: 0o777 & ~mask, dir: 0o777 & ~mask };
}

/** The name dgit's playtree has, and so the native tarball's top directory. */
export const PLAYTREE = 'work';

/** tar's `--exclude=.git`. */
const EXCLUDED = '.git';

export interface TarLimits {
  /**
   * Content bytes the tarball may hold. The tarball is streamed (one blob in
   * memory at a time), so this bounds the work a tree can ask for, not memory.
   */
  readonly maxBytes: number;
}

export const DEFAULT_TAR_LIMITS: TarLimits = { maxBytes: 8 * 1024 ** 3 };

const byName = (a: TreeNode, b: TreeNode): number => Buffer.compare(a.name, b.name);

/** The checkout's members under `top`, in tar's --sort=name order, each blob read as its turn comes. */
async function* members(
  objects: ObjectReader,
  top: Buffer,
  nodes: readonly TreeNode[],
  modes: CheckoutModes,
  mtime: number,
  limits: TarLimits,
): AsyncGenerator<TarEntry> {
  let bytes = 0;
  const slash = Buffer.from('/');
  async function* walk(path: Buffer, children: readonly TreeNode[]): AsyncGenerator<TarEntry> {
    yield { name: Buffer.concat([path, slash]), type: 'dir', mode: modes.dir, mtime };
    for (const n of [...children].sort(byName)) {
      if (n.name.toString('latin1') === EXCLUDED) continue;
      const name = Buffer.concat([path, slash, n.name]);
      if (n.kind === 'dir') yield* walk(name, n.children ?? []);
      else if (n.kind === 'gitlink') yield* walk(name, []);
      else {
        const data = await readBlob(objects, n.oid);
        bytes += data.length;
        if (bytes > limits.maxBytes) throw new UnsupportedInput(`the tree holds more than ${limits.maxBytes} bytes`);
        if (n.kind === 'symlink') yield { name, type: 'symlink', mode: 0o777, mtime, linkname: data };
        else yield { name, type: 'file', mode: n.executable ? modes.executable : modes.file, mtime, data };
      }
    }
  }
  yield* walk(top, nodes);
}

export interface CheckoutTarInput {
  readonly objects: ObjectReader;
  /** The root tree of the tagged commit. */
  readonly root: readonly TreeNode[];
  readonly umask: Umask;
  /** SOURCE_DATE_EPOCH: the changelog's date. */
  readonly sourceDateEpoch: number;
  readonly limits?: TarLimits;
}

/** `SRC_VER.debian.tar` (uncompressed), as a stream: the tree's debian/ directory. */
export function debianTar(input: CheckoutTarInput): AsyncGenerator<Buffer> {
  const debian = input.root.find((n) => n.name.toString('latin1') === 'debian');
  if (!debian || debian.kind !== 'dir') throw new UnsupportedInput('the tree has no debian/ directory');
  return gnuTar(
    members(
      input.objects,
      Buffer.from('debian'),
      debian.children ?? [],
      checkoutModes(input.umask),
      input.sourceDateEpoch,
      input.limits ?? DEFAULT_TAR_LIMITS,
    ),
  );
}

/** The native tarball (uncompressed), as a stream: the whole tree under `work/`. */
export function nativeTar(input: CheckoutTarInput): AsyncGenerator<Buffer> {
  return gnuTar(
    members(
      input.objects,
      Buffer.from(PLAYTREE),
      input.root,
      checkoutModes(input.umask),
      input.sourceDateEpoch,
      input.limits ?? DEFAULT_TAR_LIMITS,
    ),
  );
}
