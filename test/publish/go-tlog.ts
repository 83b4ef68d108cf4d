// Builds test/publish/go-tlog/main.go: a checker of our logs made of Go's
// golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's golang-go and
// golang-golang-x-mod-dev, built offline in GOPATH mode), the independent
// implementation the log's tests compare against.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Builds the checker under `work`; returns a function running it with `args` and stdin `input`. */
export function buildGoTlog(work: string): (args: string[], input?: string) => string {
  mkdirSync(join(work, 'src'), { recursive: true });
  copyFileSync(join(here, 'go-tlog', 'main.go'), join(work, 'src', 'main.go'));
  const binary = join(work, 'go-tlog');
  execFileSync('go', ['build', '-o', binary, 'main.go'], {
    cwd: join(work, 'src'),
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(work, 'cache'), GOFLAGS: '' },
    stdio: 'pipe',
  });
  return (args, input = '[]') => execFileSync(binary, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}
