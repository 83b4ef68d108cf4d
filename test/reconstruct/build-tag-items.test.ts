// The builder takes its [dgit …] items from the verifier's one tag parser,
// which reads only the body (dgit-repos-server's tag2upload_parsetag): a
// "[dgit …]" summary line, which the service ignores, does not reach dgit.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFromGit, tagItemsOf } from '../../src/reconstruct/build.js';
import { PROFILES } from '../../src/sandbox/builder-profiles.js';
import { parseTagMessage } from '../../src/interpret/tag-message.js';
import { hostSandbox as sandbox } from '../helpers/host-sandbox.js';

let repo: string;
const UC = '840976dd03ef23e0c4eea87ffd60260ed78863b1';

function tag(name: string, message: string): Buffer {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@b.c', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@b.c' };
  const commit = execFileSync('git', ['-C', repo, 'commit-tree', '4b825dc642cb6eb9a060e54bf8d69288fbee4904', '-m', 'x'], { env })
    .toString()
    .trim();
  const raw = Buffer.from(`object ${commit}\ntype commit\ntag ${name}\ntagger A <a@b.c> 1709251200 +0000\n\n${message}`);
  const oid = execFileSync('git', ['-C', repo, 'mktag'], { input: raw }).toString().trim();
  execFileSync('git', ['-C', repo, 'update-ref', `refs/tags/${name}`, oid]);
  return raw;
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 't2u-tag-items-'));
  // Readable by the sandbox's unprivileged user, as a fetched repository's object store is.
  chmodSync(repo, 0o755);
  execFileSync('git', ['init', '-q', '--bare', repo]);
  execFileSync('git', ['-C', repo, 'hash-object', '-t', 'tree', '-w', '--stdin'], { input: '' });
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe("the builder's tag items", () => {
  it("are the interpreter's: a [dgit …] summary line is not read", async () => {
    const raw = tag(
      'debian/1.0-1',
      `[dgit --quilt=gbp upstream=${UC} upstream-tag=upstream/1.0]\n\n[dgit distro=debian split]\n[dgit please-upload source=x version=1.0-1]\n`,
    );
    const items = await tagItemsOf(repo, 'debian/1.0-1', 60_000, sandbox);
    expect(items).toMatchObject({ T2U_SOURCE: 'x', T2U_VERSION: '1.0-1', T2U_QUILT: '', T2U_UPSTREAM: '', T2U_UPSTREAM_TAG: '' });
    const parsed = parseTagMessage(raw);
    expect(parsed.instruction?.quiltModeExplicit).toBe(false);
    expect(items.T2U_TAG_OBJECT).toMatch(/^[0-9a-f]{40}$/);
  });

  it("carry the body's quilt mode and upstream pair", async () => {
    tag(
      'debian/1.0-2',
      `x release\n\n[dgit distro=debian split --quilt=gbp]\n[dgit please-upload source=x version=1.0-2 upstream-tag=upstream/1.0 upstream=${UC}]\n`,
    );
    expect(await tagItemsOf(repo, 'debian/1.0-2', 60_000, sandbox)).toMatchObject({
      T2U_QUILT: 'gbp',
      T2U_UPSTREAM: UC,
      T2U_UPSTREAM_TAG: 'upstream/1.0',
    });
  });

  it('are read the same from a git bundle', async () => {
    const bundle = join(repo, 'x.bundle');
    execFileSync('git', ['-C', repo, 'bundle', 'create', '-q', bundle, 'refs/tags/debian/1.0-1', 'refs/tags/debian/1.0-2']);
    chmodSync(bundle, 0o644);
    expect(await tagItemsOf(bundle, 'debian/1.0-1', 60_000, sandbox)).toEqual(await tagItemsOf(repo, 'debian/1.0-1', 60_000, sandbox));
    expect(await tagItemsOf(bundle, 'debian/1.0-2', 60_000, sandbox)).toMatchObject({ T2U_QUILT: 'gbp', T2U_UPSTREAM: UC });
  });

  it("given by the caller, are that object's, and the build refuses a repository whose tag is another object", async () => {
    const other = tag('debian/1.0-4', 'x release\n\n[dgit distro=debian split please-upload source=y version=1.0-4]\n');
    const otherOid = execFileSync('git', ['-C', repo, 'rev-parse', 'refs/tags/debian/1.0-4']).toString().trim();
    const common = { existingOrigs: [], profile: PROFILES[0]!, sandbox, timeoutMs: 60_000 };
    // debian/1.0-1 in the repository, debian/1.0-4's object given: the script's check stops the build before dgit.
    const built = await buildFromGit({ ...common, repo, tag: 'debian/1.0-1', tagObject: { oid: otherOid, raw: other } });
    expect(built.ok).toBe(false);
    if (!built.ok) expect(built.reasons[0]?.message).toMatch(/is not the tag object whose items were read/);
    const notAnId = await buildFromGit({ ...common, repo, tag: 'debian/1.0-4', tagObject: { oid: 'HEAD', raw: other } });
    expect(notAnId.ok).toBe(false);
    if (!notAnId.ok) expect(notAnId.reasons[0]?.message).toMatch(/not a tag object id/);
  });

  it('refuse a tag without source= or version=', async () => {
    tag('debian/1.0-3', 'x release\n\n[dgit distro=debian split please-upload]\n');
    await expect(tagItemsOf(repo, 'debian/1.0-3', 60_000, sandbox)).rejects.toThrow(/no source= or version=/);
  });
});
