// Finding the repository of an upload by its .dsc: the candidates in order
// (Dgit URL, Vcs-Git, Salsa), and the first that holds the very tag object
// Git-Tag-Info names, over loopback smart HTTP; a repository whose tag of that
// name is another object, or that has no such tag, or cannot be reached, is
// passed over, and when none is left the reason says what each answered.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { locateTag, repositoryCandidates, SALSA } from '../../src/pipeline/locate-tag.js';
import { openRepository } from '../../src/pipeline/open-repository.js';
import { Deb822Paragraph } from '../../src/deb822/paragraph.js';
import { readDsc, type Dsc } from '../../src/deb822/dsc.js';
import { deadPort } from '../helpers/dead-port.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';
import { bundleOf, dscOf, uploadCase } from '../reconstruct/upload-fixtures.js';

const gbp = uploadCase('gbp');
let root: string;
let server: GitHttpServer;
let dsc: Dsc;
const config = parseConfig({ fetch: { allowHttpLoopback: true } }, 'test');
const open = (url: string) => openRepository(url, config);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 't2u-locate-'));
  const git = (...args: string[]): string => execFileSync('git', args, { encoding: 'utf8' }).trim();
  git('clone', '-q', '--mirror', bundleOf(gbp), join(root, 'right.git'));
  // The same history, the tag deleted.
  git('clone', '-q', '--mirror', bundleOf(gbp), join(root, 'untagged.git'));
  git('-C', join(root, 'untagged.git'), 'tag', '-d', gbp.tag);
  // The same name on another object: a lightweight tag on the tagged commit.
  git('clone', '-q', '--mirror', bundleOf(gbp), join(root, 'moved.git'));
  git('-C', join(root, 'moved.git'), 'tag', '-f', gbp.tag, `${gbp.tag}^{commit}`);
  server = await startGitHttpServer({ root });
  dsc = readDsc(readFileSync(dscOf(gbp))).dsc;
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('repositoryCandidates', () => {
  it("the Dgit field's URL, then Vcs-Git's first word, then Salsa's debian/SOURCE, without repeats", () => {
    expect(repositoryCandidates(dsc)).toEqual([
      { from: 'Dgit field', url: `https://git.dgit.debian.org/${gbp.source}` },
      { from: 'Salsa', url: `${SALSA}/${gbp.source}.git` },
    ]);
    const p = new Deb822Paragraph([
      ...dsc.paragraph.fields.map((f) => [f.name, f.value] as const),
      ['Vcs-Git', `${SALSA}/${gbp.source}.git -b debian/latest`],
    ]);
    expect(repositoryCandidates({ ...dsc, paragraph: p }).map((c) => c.from)).toEqual(['Dgit field', 'Vcs-Git']);
    const q = new Deb822Paragraph([
      ...dsc.paragraph.fields.map((f) => [f.name, f.value] as const),
      ['Vcs-Git', 'https://salsa.debian.org/someone/pkg.git -b debian/latest'],
    ]);
    expect(repositoryCandidates({ ...dsc, paragraph: q })[1]).toEqual({ from: 'Vcs-Git', url: 'https://salsa.debian.org/someone/pkg.git' });
  });
});

describe('locateTag', () => {
  it("git-debpush's tag name, in the first repository that has the object Git-Tag-Info names", async () => {
    const tried: string[] = [];
    const r = await locateTag(dsc, open, (c) => tried.push(c.from), [
      { from: 'Dgit field', url: `${server.url}/absent.git` },
      { from: 'Vcs-Git', url: `${server.url}/untagged.git` },
      { from: 'Salsa', url: `${server.url}/moved.git` },
      { from: 'mirror', url: `${server.url}/right.git` },
    ]);
    expect(r.tag).toBe(gbp.tag);
    expect(r.tagObject).toBe(gbp.tagObject);
    expect(r.repo).toBe(`${server.url}/right.git`);
    expect(tried).toEqual(['Dgit field', 'Vcs-Git', 'Salsa', 'mirror']);
    expect(r.tried[1]).toBe(`Vcs-Git ${server.url}/untagged.git: no tag ${gbp.tag}`);
    expect(r.tried[2]).toMatch(new RegExp(`^Salsa .*moved\\.git: its ${gbp.tag} is object [0-9a-f]{40}, not ${gbp.tagObject}$`));
  });

  it('none has it: REPOSITORY_NOT_FOUND, saying what each candidate answered', async () => {
    const r = await locateTag(dsc, open, undefined, [
      { from: 'Dgit field', url: `${server.url}/absent.git` },
      { from: 'Salsa', url: `${server.url}/moved.git` },
      { from: 'insecure', url: 'http://example.org/x.git' },
    ]);
    expect(r.repo).toBeUndefined();
    expect(r.reason?.code).toBe('REPOSITORY_NOT_FOUND');
    expect(r.reason?.message).toContain(
      `no repository has ${gbp.tag} as the tag object ${gbp.tagObject} that the upload names (2 of 3 could not be read)`,
    );
    expect(r.tried).toHaveLength(3);
    expect(r.tried[0]).toMatch(/^Dgit field .*absent\.git: /);
    expect(r.tried[2]).toMatch(/^insecure http:\/\/example\.org\/x\.git: .*http/);
  });

  it("none could be read at all: the first failure's own code, not REPOSITORY_NOT_FOUND", async () => {
    const port = await deadPort();
    const r = await locateTag(dsc, open, undefined, [
      { from: 'Dgit field', url: `http://127.0.0.1:${port}/x.git` },
      { from: 'insecure', url: 'http://example.org/x.git' },
    ]);
    expect(r.repo).toBeUndefined();
    expect(r.reason?.code).toBe('FETCH_FAILED');
    expect(r.reason?.message).toMatch(
      new RegExp(`^no repository that may hold ${gbp.tag} could be read \\(give the one that does with --repo\\): Dgit field `),
    );
    expect(r.tried).toHaveLength(2);
  });
});
