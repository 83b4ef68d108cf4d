// The builder rootfs: recipe keys, dpkg status reading, and one real build
// with mmdebstrap (reused from the cache when the recipe is unchanged), then
// dgit run inside it through the launcher.
import { defaultCacheDir } from '../../src/config/load.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerSandboxCommands } from '../../src/cli/sandbox-command.js';
import { parseDpkgStatus } from '../../src/sandbox/dpkg-status.js';
import { runSandboxed } from '../../src/sandbox/launcher.js';
import {
  buildRootfs,
  canonicalJson,
  DEFAULT_RECIPE_FILE,
  hostArchitecture,
  loadRecipes,
  rootfsKey,
  rootfsStatus,
  type RootfsManifest,
} from '../../src/sandbox/rootfs.js';

const scratch = mkdtempSync(join(tmpdir(), 't2u-rootfs-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('recipe and cache key', () => {
  it("names the host's architecture as dpkg does (the cache key and mmdebstrap's --architectures), without asking it where Node's is unambiguous", async () => {
    expect(await hostArchitecture()).toBe(execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim());
  });

  const recipes = loadRecipes();
  const trixie = recipes.trixie!;

  it('has the profiles tag2upload needs, with the builder packages', () => {
    expect(Object.keys(recipes)).toEqual(expect.arrayContaining(['trixie', 'forky', 'tag2upload-server']));
    for (const [name, r] of Object.entries(recipes)) {
      expect(r.mirror).toBe('http://deb.debian.org/debian');
      // tag2upload's server side (the oracle for tag verdicts) builds nothing.
      if (name === 'tag2upload-server') {
        expect(r.include).toEqual(expect.arrayContaining(['dgit-infrastructure', 'gpgv', 'git']));
        continue;
      }
      expect(r.include).toEqual(
        expect.arrayContaining(['dgit', 'git-debpush', 'dpkg-dev', 'git', 'gnupg', 'xz-utils', 'gzip', 'python3-pygit2', 'devscripts']),
      );
    }
  });

  it('derives the key from the recipe content, not its key order', () => {
    const reordered = Object.fromEntries(Object.entries(trixie).reverse()) as typeof trixie;
    expect(canonicalJson(reordered)).toBe(canonicalJson(trixie));
    expect(rootfsKey(reordered, 'amd64')).toBe(rootfsKey(trixie, 'amd64'));
    expect(rootfsKey({ ...trixie, include: [...trixie.include, 'quilt'] }, 'amd64')).not.toBe(rootfsKey(trixie, 'amd64'));
    expect(rootfsKey(trixie, 'arm64')).not.toBe(rootfsKey(trixie, 'amd64'));
    expect(rootfsKey(trixie, 'amd64')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects an invalid recipe with the field path', () => {
    const bad = JSON.parse(readFileSync(DEFAULT_RECIPE_FILE, 'utf8')) as { profiles: Record<string, { suite: string }> };
    bad.profiles.trixie!.suite = 'trixie; rm -rf /';
    const file = join(scratch, 'bad.json');
    writeFileSync(file, JSON.stringify(bad));
    expect(() => loadRecipes(file)).toThrow(/profiles\.trixie\.suite/);
  });
});

describe('dpkg status', () => {
  it('reads the versions dpkg-query reports for the host', () => {
    const versions = parseDpkgStatus(readFileSync('/var/lib/dpkg/status', 'utf8'));
    for (const pkg of ['git', 'dpkg-dev', 'xz-utils', 'bubblewrap']) {
      const expected = execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
      expect(versions.get(pkg)).toBe(expected);
    }
  });
});

describe('build', () => {
  it('builds the trixie rootfs with mmdebstrap, reuses it, and runs dgit inside it through the sandbox', { timeout: 900_000 }, async () => {
    const lines: string[] = [];
    const built = await buildRootfs('trixie', { onProgress: (l) => lines.push(l) });
    expect(built.current).toBe(true);
    expect(built.path.startsWith(defaultCacheDir())).toBe(true);
    // The manifest next to the rootfs records the versions, as dpkg-query reads them in the rootfs.
    const manifest = JSON.parse(readFileSync(join(built.path, '..', 'manifest.json'), 'utf8')) as RootfsManifest;
    const admindir = join(built.path, 'var', 'lib', 'dpkg');
    for (const pkg of ['dgit', 'dpkg-dev', 'git', 'xz-utils', 'python3-pygit2', 'git-debpush']) {
      const v = execFileSync('dpkg-query', [`--admindir=${admindir}`, '-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
      expect(manifest.packages[pkg]).toBe(v);
    }
    expect(built.packages.dgit).toBe(manifest.packages.dgit);
    expect(manifest.key).toBe(built.key);
    expect(manifest.sizeBytes).toBeGreaterThan(100 * 1024 ** 2);

    // Unchanged recipe: the cache answers, no second build.
    const started = performance.now();
    const again = await buildRootfs('trixie', { onProgress: () => undefined });
    expect(again.path).toBe(built.path);
    expect(performance.now() - started).toBeLessThan(5000);

    const status = await rootfsStatus();
    expect(status.find((s) => s.key === built.key)).toMatchObject({
      name: 'trixie',
      current: true,
      packages: { dgit: manifest.packages.dgit },
    });

    // dgit from the rootfs, in the sandbox; the rootfs stays read-only.
    const rootfs = { kind: 'dir', path: built.path } as const;
    const r = await runSandboxed({ argv: ['dgit', '--version'], rootfs, timeoutMs: 30_000 });
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout.toString()).toContain(`version ${manifest.packages.dgit}`);
    const ro = await runSandboxed({
      argv: ['/bin/sh', '-c', 'touch /usr/probe /etc/probe /var/probe 2>&1; touch /tmp/ok && echo tmp-ok'],
      rootfs,
      timeoutMs: 30_000,
    });
    expect(ro.stdout.toString().match(/Read-only file system/g)).toHaveLength(3);
    expect(ro.stdout.toString()).toContain('tmp-ok');

    // The CLI reports the same.
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string) => out.push(chunk) > 0;
    try {
      const program = new Command().exitOverride();
      registerSandboxCommands(program, () => undefined);
      await program.parseAsync(['node', 't2u-verify', 'sandbox', 'status', '--json']);
    } finally {
      process.stdout.write = write;
    }
    const json = JSON.parse(out.join('')) as { rootfs: { key: string; packages: Record<string, string> }[] };
    expect(json.rootfs.find((e) => e.key === built.key)?.packages['dpkg-dev']).toBe(manifest.packages['dpkg-dev']);
  });
});

describe('cli', () => {
  it('rejects an unknown profile and --profile with --all', async () => {
    const program = new Command().exitOverride();
    registerSandboxCommands(program, () => undefined);
    await expect(program.parseAsync(['node', 't', 'sandbox', 'build', '--profile', 'nosuch'])).rejects.toThrow(
      /unknown rootfs profile "nosuch"/,
    );
    const program2 = new Command().exitOverride();
    registerSandboxCommands(program2, () => undefined);
    await expect(program2.parseAsync(['node', 't', 'sandbox', 'build', '--profile', 'trixie', '--all'])).rejects.toThrow(
      /either --profile or --all/,
    );
  });

  it('documents its options in --help', () => {
    const program = new Command();
    registerSandboxCommands(program);
    const build = program.commands.find((c) => c.name() === 'sandbox')!.commands.find((c) => c.name() === 'build')!;
    const help = build.helpInformation();
    expect(help).toContain('--profile <name>');
    expect(help).toContain('--all');
    const status = program.commands.find((c) => c.name() === 'sandbox')!.commands.find((c) => c.name() === 'status')!;
    expect(status.helpInformation()).toContain('--json');
  });
});
