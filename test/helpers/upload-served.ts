// The committed upload fixtures (fixtures/uploads) put where an end-to-end
// test reaches them as the service would: their tagged repositories as bare
// mirrors of the bundles behind a loopback smart-HTTP git server, and an
// upload's .dsc with the files it names in a mirror tree's directory; and
// the temporary directory they are put in, which the sandbox's unprivileged
// user (when the tests run as root) must be able to read.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, bundleOf, type UploadCase } from '../reconstruct/upload-fixtures.js';
import { writeTreeFile } from './debian-mirror.js';
import { startGitHttpServer, type GitHttpServer } from './git-http-server.js';

/** A new directory under the system's temporary one, `prefix` its name's start, readable by every user (mode 0755). */
export function readableTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** The case's repository cloned from its bundle as a bare mirror at `path` (object bytes as the bundle has them); answers `path`. */
export function mirrorUploadRepo(u: UploadCase, path: string): string {
  execFileSync('git', ['clone', '-q', '--mirror', bundleOf(u), path]);
  return path;
}

/** Each case's repository at `<root>/repos/<case>.git` (object bytes as the bundle has them), served over loopback. */
export function serveUploadRepos(root: string, cases: readonly UploadCase[]): Promise<GitHttpServer> {
  const repos = join(root, 'repos');
  mkdirSync(repos);
  for (const u of cases) mirrorUploadRepo(u, join(repos, `${u.case}.git`));
  return startGitHttpServer({ root: repos });
}

/** Copies the upload's .dsc and the files it names into `dir` of the mirror tree. */
export function publishUpload(tree: string, dir: string, u: UploadCase): void {
  for (const f of [u.dsc, ...u.dscFiles.map((x) => x.name)]) writeTreeFile(tree, `${dir}/${f}`, readFileSync(join(REPO_ROOT, u.dir, f)));
}
