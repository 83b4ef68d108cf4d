// Unpacks the committed tag fixtures (fixtures/tags/*.bundle, made by
// fixtures/tags/make.sh) into bare repositories in a temporary directory, and
// loads their manifest and the test keys' fingerprints. `git clone --mirror`
// of a bundle copies the objects byte for byte (an object id is the hash of
// its bytes), so every tag object is exactly the one the real tools made.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURE_TAGS_DIR = join(REPO_ROOT, 'fixtures', 'tags');
export const FIXTURE_KEYS_DIR = join(REPO_ROOT, 'fixtures', 'keys');

export type ExpectedVerdict = 'authentic' | 'rejected' | 'unverifiable';

/** What the real `git verify-tag --raw` said about one tag, under one git/gpg. */
export interface GitVerifyRecord {
  /** good, bad, no-signature, no-public-key, expired-key, revoked-key, not-a-tag or error. */
  readonly summary: string;
  readonly exit: number;
  /** gpg's [GNUPG:] status keywords, in order. */
  readonly status: readonly string[];
}

export interface FixtureTag {
  /** Stable name, e.g. 'honest/rsa3072', 'rule/no-split', 'corpus/crlf-message'. */
  readonly id: string;
  readonly group: 'honest' | 'key' | 'rule' | 'corpus';
  readonly repo: string;
  /** The tag's name under refs/tags/. */
  readonly tag: string;
  /** What refs/tags/<tag> names: a tag object, or a commit for a lightweight tag. */
  readonly object: string;
  readonly objectType: 'tag' | 'commit';
  /** Name of the fixture key (fixtures/keys/keys.json) that signed it, if any. */
  readonly signer: string | null;
  readonly description: string;
  /** The verdict of `check-tag` with the fixture keyrings and the default policy; every code listed must be reported. */
  readonly expect: { readonly verdict: ExpectedVerdict; readonly codes: readonly string[] };
  /** `git verify-tag` on bookworm's git and gpg (the tools tests run on). */
  readonly gitVerifyTag: string;
  readonly gitVerifyTagDetail: { readonly bookworm: GitVerifyRecord; readonly trixie: GitVerifyRecord };
  /** Present where the expected verdict is stricter than git verify-tag: why. */
  readonly policyStricterThanGit?: string;
}

export interface FixtureManifest {
  readonly schema: 't2u-verify/tag-fixtures/v1';
  readonly generated: string;
  readonly tools: { readonly bookworm: string; readonly trixie: string };
  readonly keyrings: { readonly uploaders: string; readonly dm: string; readonly dmTxt: string };
  /** Repository name -> bundle path, relative to the repository root. */
  readonly repos: Readonly<Record<string, string>>;
  readonly tags: readonly FixtureTag[];
}

export interface FixtureKey {
  /** Primary key fingerprint (upper-case hex, as gpg prints it). */
  readonly primary: string;
  /** The key that makes signatures: the signing subkey, or the primary. */
  readonly signing: string;
  readonly algo: string;
  readonly created: string;
  readonly uid: string;
  readonly purpose: string;
}

export interface FixtureRepos {
  /** Directory holding `<repo>.git` bare repositories (a GIT_PROJECT_ROOT). */
  readonly root: string;
  /** Repository name -> absolute path of its bare repository. */
  readonly repos: Readonly<Record<string, string>>;
  readonly manifest: FixtureManifest;
  /** Absolute paths of the fixture keyrings. */
  readonly keyrings: { readonly uploaders: string; readonly dm: string; readonly dmTxt: string };
  cleanup(): Promise<void>;
}

export async function loadManifest(): Promise<FixtureManifest> {
  return JSON.parse(await readFile(join(FIXTURE_TAGS_DIR, 'manifest.json'), 'utf8')) as FixtureManifest;
}

export async function loadFixtureKeys(): Promise<Readonly<Record<string, FixtureKey>>> {
  return JSON.parse(await readFile(join(FIXTURE_KEYS_DIR, 'keys.json'), 'utf8')) as Record<string, FixtureKey>;
}

/** The manifest entry with this id; throws if there is none. */
export function fixtureTag(manifest: FixtureManifest, id: string): FixtureTag {
  const tag = manifest.tags.find((t) => t.id === id);
  if (tag === undefined) throw new Error(`no fixture tag ${id} in fixtures/tags/manifest.json`);
  return tag;
}

/** Unpacks every fixture bundle (or only `names`) as bare repositories under a new temporary directory. */
export async function unpackFixtureRepos(names?: readonly string[]): Promise<FixtureRepos> {
  const manifest = await loadManifest();
  const root = await mkdtemp(join(tmpdir(), 't2u-fixture-repos-'));
  // The sandbox reads local repositories as an unprivileged uid when tests run as root.
  await chmod(root, 0o755);
  const repos: Record<string, string> = {};
  try {
    for (const [name, bundle] of Object.entries(manifest.repos)) {
      if (names !== undefined && !names.includes(name)) continue;
      const dest = join(root, `${name}.git`);
      // No fsck while unpacking: some fixtures are deliberately malformed
      // (a tag without tagger, an extra header), which is what they test.
      await run('git', ['-c', 'transfer.fsckObjects=false', 'clone', '--quiet', '--mirror', join(REPO_ROOT, bundle), dest]);
      repos[name] = dest;
    }
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  const keyrings = {
    uploaders: join(REPO_ROOT, manifest.keyrings.uploaders),
    dm: join(REPO_ROOT, manifest.keyrings.dm),
    dmTxt: join(REPO_ROOT, manifest.keyrings.dmTxt),
  };
  return {
    root,
    repos,
    manifest,
    keyrings,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
