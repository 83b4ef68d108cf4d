// The committed upload fixtures (fixtures/uploads) put where an end-to-end
// test reaches them as the service would: their tagged repositories as bare
// mirrors of the bundles behind a loopback smart-HTTP git server, and an
// upload's .dsc with the files it names in a mirror tree's directory.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, bundleOf, type UploadCase } from '../reconstruct/upload-fixtures.js';
import { writeTreeFile } from './debian-mirror.js';
import { startGitHttpServer, type GitHttpServer } from './git-http-server.js';

/** Each case's repository at `<root>/repos/<case>.git` (object bytes as the bundle has them), served over loopback. */
export function serveUploadRepos(root: string, cases: readonly UploadCase[]): Promise<GitHttpServer> {
  const repos = join(root, 'repos');
  mkdirSync(repos);
  for (const u of cases) execFileSync('git', ['clone', '-q', '--mirror', bundleOf(u), join(repos, `${u.case}.git`)]);
  return startGitHttpServer({ root: repos });
}

/** Copies the upload's .dsc and the files it names into `dir` of the mirror tree. */
export function publishUpload(tree: string, dir: string, u: UploadCase): void {
  for (const f of [u.dsc, ...u.dscFiles.map((x) => x.name)]) writeTreeFile(tree, `${dir}/${f}`, readFileSync(join(REPO_ROOT, u.dir, f)));
}
