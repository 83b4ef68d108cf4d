// A small Debian archive for the watcher tests, made of real parts: a
// loopback mirror whose Sources indexes list real tag2upload .dsc files
// (fixtures/dsc: from the archive; fixtures/uploads: made by dgit and
// git-debpush, with bundles of the tagged repositories), InRelease
// clearsigned by an archive key made with gpg; and two loopback git
// http-backend servers standing for dgit-repos and Salsa, serving the fixture
// repositories cloned from their bundles.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Deb822Paragraph } from '../../src/deb822/paragraph.js';
import { formatDeb822 } from '../../src/deb822/write.js';
import { readDsc } from '../../src/deb822/dsc.js';
import type { RepoUrlRewrite } from '../../src/server/intake/tag-copies.js';
import { Gpg } from '../authenticate/gpg-harness.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { startMirrorServer, type MirrorServer } from '../upload/mirror-server.js';

export const ROOT = resolve(import.meta.dirname, '../..');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A .dsc to publish: its file, and the Vcs-Git the stanza carries (the .dsc's own unless given). */
export interface Published {
  readonly dscPath: string;
  /** Replaces (string) or removes (null) the .dsc's Vcs-Git in the index stanza. */
  readonly vcsGit?: string | null;
  /** Without Dgit and Git-Tag-Info: stands for an upload not made by tag2upload. */
  readonly plain?: boolean;
}

export interface Upload {
  readonly source: string;
  readonly version: string;
  readonly tag: string;
  readonly tagObject: string;
  readonly dscPath: string;
  readonly bundle?: string;
}

interface ManifestUpload {
  case: string;
  kind: string;
  source: string;
  version: string;
  tag: string;
  tagObject: string;
  bundle: string;
  dir: string;
  dsc: string;
}

/** The honest uploads of fixtures/uploads, by case name. */
export function fixtureUploads(): Record<string, Upload> {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'fixtures/uploads/manifest.json'), 'utf8')) as { uploads: ManifestUpload[] };
  const out: Record<string, Upload> = {};
  for (const u of manifest.uploads.filter((x) => x.kind === 'honest')) {
    out[u.case] = {
      source: u.source,
      version: u.version,
      tag: u.tag,
      tagObject: u.tagObject,
      dscPath: join(ROOT, u.dir, u.dsc),
      bundle: join(ROOT, u.bundle),
    };
  }
  return out;
}

/** The real archive .dsc files of fixtures/dsc. */
export function archiveDscs(): string[] {
  const dir = join(ROOT, 'fixtures/dsc');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.dsc'))
    .sort()
    .map((f) => join(dir, f));
}

export class ArchiveFixture {
  readonly tree = mkdtempSync(join(tmpdir(), 't2u-watch-mirror-'));
  readonly work = mkdtempSync(join(tmpdir(), 't2u-watch-work-'));
  readonly archiveRing = join(this.work, 'archive.gpg');
  readonly archive = Gpg.create();
  readonly stranger = Gpg.create();
  mirror!: MirrorServer;
  dgit!: GitHttpServer;
  salsa!: GitHttpServer;
  private clock = Math.floor(Date.now() / 1000) - 3600;

  static async start(): Promise<ArchiveFixture> {
    const f = new ArchiveFixture();
    f.archive.must(['--quick-gen-key', 'Test Archive <archive@t2u.test>', 'ed25519', 'sign', 'never']);
    f.stranger.must(['--quick-gen-key', 'Stranger <stranger@t2u.test>', 'ed25519', 'sign', 'never']);
    writeFileSync(f.archiveRing, f.archive.must(['--export']));
    mkdirSync(join(f.work, 'dgit'));
    mkdirSync(join(f.work, 'salsa'));
    f.mirror = await startMirrorServer(f.tree);
    f.dgit = await startGitHttpServer({ root: join(f.work, 'dgit') });
    f.salsa = await startGitHttpServer({ root: join(f.work, 'salsa') });
    return f;
  }

  /** Explicit rewrites: the archive's repository URLs to the two test servers. */
  get repoUrlMap(): RepoUrlRewrite[] {
    return [
      { from: 'https://git.dgit.debian.org/', to: `${this.dgit.url}/` },
      { from: 'https://salsa.debian.org/', to: `${this.salsa.url}/` },
    ];
  }

  /** A bare repository `<server>/<path>.git` cloned from a bundle (objects copied byte for byte). */
  addRepo(server: 'dgit' | 'salsa', path: string, bundle: string): string {
    const dir = join(this.work, server, `${path}.git`);
    mkdirSync(dirname(dir), { recursive: true });
    execFileSync('git', ['clone', '--quiet', '--mirror', bundle, dir]);
    return dir;
  }

  /** Replaces refs/tags/<tag> in a bare repository by a new annotated tag (made by git) on the same commit. */
  retag(repoDir: string, tag: string): string {
    const git = (...args: string[]): string =>
      execFileSync('git', ['-C', repoDir, '-c', 'user.name=Someone Else', '-c', 'user.email=else@t2u.test', ...args], {
        encoding: 'utf8',
      }).trim();
    const commit = git('rev-parse', `refs/tags/${tag}^{commit}`);
    git('tag', '-f', '-a', '-m', 'a tag made after the upload', tag, commit);
    return git('rev-parse', `refs/tags/${tag}`);
  }

  private write(path: string, data: Uint8Array | string): void {
    mkdirSync(dirname(join(this.tree, path)), { recursive: true });
    writeFileSync(join(this.tree, path), data);
  }

  /** A Sources stanza as dak writes one from a .dsc: Package for Source, the .dsc among the files, Directory. */
  stanza(p: Published): { stanza: Deb822Paragraph; directory: string; name: string } {
    const bytes = readFileSync(p.dscPath);
    const { dsc } = readDsc(bytes);
    const name = p.dscPath.split('/').pop()!;
    const directory = `pool/main/${dsc.source.startsWith('lib') ? dsc.source.slice(0, 4) : dsc.source[0]}/${dsc.source}`;
    const files = [{ name, size: bytes.length, hash: sha256(bytes) }, ...dsc.files];
    const fields: Array<[string, string]> = [];
    for (const f of dsc.paragraph.fields) {
      if (f.name === 'Source') fields.push(['Package', f.value]);
      else if (f.name === 'Checksums-Sha256') fields.push([f.name, ['', ...files.map((x) => `${x.hash} ${x.size} ${x.name}`)].join('\n')]);
      else if (f.name === 'Files' || f.name === 'Checksums-Sha1' || f.name === 'Git-Tag-Tagger')
        continue; // dak leaves Git-Tag-Tagger out
      else if (f.name === 'Vcs-Git' && p.vcsGit !== undefined) continue;
      else if ((f.name === 'Dgit' || f.name === 'Git-Tag-Info') && p.plain) continue;
      else fields.push([f.name, f.value]);
    }
    if (typeof p.vcsGit === 'string') fields.push(['Vcs-Git', p.vcsGit]);
    fields.push(['Directory', directory]);
    this.write(`${directory}/${name}`, bytes);
    return { stanza: new Deb822Paragraph(fields), directory, name };
  }

  /** Publishes dists/SUITE: Sources.xz of `uploads`, InRelease signed by the archive key (or the stranger's). */
  publish(suite: string, uploads: readonly Published[], opts: { signer?: 'archive' | 'stranger' } = {}): void {
    const xz = spawnSync('xz', ['-z', '-c'], { input: formatDeb822(uploads.map((u) => this.stanza(u).stanza)) }).stdout;
    this.write(`dists/${suite}/main/source/Sources.xz`, xz);
    const release = [
      `Suite: ${suite}`,
      `Codename: ${suite}`,
      `Date: ${new Date().toUTCString()}`,
      `Valid-Until: ${new Date(Date.now() + 7 * 86400_000).toUTCString()}`,
      'SHA256:',
      ` ${sha256(xz)} ${xz.length} main/source/Sources.xz`,
      '',
    ].join('\n');
    const stranger = opts.signer === 'stranger';
    const signer = stranger ? this.stranger : this.archive;
    const uid = stranger ? 'Stranger <stranger@t2u.test>' : 'Test Archive <archive@t2u.test>';
    this.write(`dists/${suite}/InRelease`, signer.must(['--clearsign', '-u', uid, '-o', '-'], { input: release }));
    this.touch(suite);
  }

  /** Moves the InRelease's mtime forward (a mirror sync that rewrote the same bytes). */
  touch(suite: string): void {
    this.clock += 10;
    utimesSync(join(this.tree, `dists/${suite}/InRelease`), this.clock, this.clock);
  }

  async close(): Promise<void> {
    await this.mirror?.close();
    await this.dgit?.close();
    await this.salsa?.close();
    this.archive.close();
    this.stranger.close();
    rmSync(this.tree, { recursive: true, force: true });
    rmSync(this.work, { recursive: true, force: true });
  }
}
