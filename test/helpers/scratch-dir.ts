// A test file's temporary directory, and the builder sandbox beside it: the
// directory is made before the file's tests (mode 0755 unless asked, so that
// the sandbox user, when the tests run as root, can traverse to its work
// directories)
// and removed after them. The hooks are registered where the helper is
// called (the file, or a describe); the fields are set once beforeAll ran.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { builderSandboxFor, ROOTFS_BUILD_MS } from './builder-rootfs.js';

export interface Scratch {
  /** The directory (set by beforeAll). */
  readonly dir: string;
}

export interface BuilderWork extends Scratch {
  /** The sandbox over the profile's rootfs (set by beforeAll). */
  readonly sandbox: Sandbox;
}

/** A fresh directory named PREFIX… under the system's temporary directory (MODE, default 0755), for the tests of the enclosing scope. */
export function scratchDir(prefix: string, mode = 0o755): Scratch {
  const s = { dir: '' };
  beforeAll(async () => {
    s.dir = await mkdtemp(join(tmpdir(), prefix));
    await chmod(s.dir, mode);
  });
  afterAll(async () => {
    if (s.dir) await rm(s.dir, { recursive: true, force: true });
  });
  return s;
}

/** The sandbox over PROFILE's rootfs (default trixie) and a scratch directory for the tests of the enclosing scope. */
export function builderWork(prefix: string, profile = 'trixie'): BuilderWork {
  const w = { sandbox: undefined as unknown as Sandbox, dir: '' };
  beforeAll(async () => {
    w.sandbox = await builderSandboxFor(profile);
  }, ROOTFS_BUILD_MS);
  const s = scratchDir(prefix);
  return {
    get sandbox() {
      return w.sandbox;
    },
    get dir() {
      return s.dir;
    },
  };
}
