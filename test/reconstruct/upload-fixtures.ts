// The committed upload fixtures (fixtures/uploads/manifest.json), as the
// reconstruct tests read them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourcePackage } from '../../src/deb822/dsc.js';
import { readLocalPackage } from '../../src/upload/local-package.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface UploadCase {
  readonly case: string;
  readonly kind: 'honest' | 'tampered';
  readonly source: string;
  readonly version: string;
  readonly tag: string;
  readonly tagObject: string;
  readonly quiltMode: string | null;
  /** The upstream tag a quilt-mode upload names (git-debpush's upstream=), and its commit. */
  readonly upstreamTag?: string | null;
  readonly upstreamCommit?: string | null;
  readonly existingOrig: boolean;
  readonly bundle: string;
  readonly dir: string;
  readonly dsc: string;
  readonly dscFiles: readonly { name: string; size: number; sha256: string }[];
  readonly tagSigner: { key: string; fingerprint: string };
  readonly profile: string;
  readonly expect: {
    readonly verdict: 'reproduced' | 'equivalent' | 'mismatch';
    /** Notes that make an honest upload `equivalent`. */
    readonly explained?: readonly string[];
    /** Notes the verdict carries (an upstream signature told, not judged). */
    readonly notes?: readonly string[];
    readonly differs?: { what: 'content' | 'bits' | 'binding' | 'signature'; file: string | null; field: string | null };
  };
}

interface Manifest {
  readonly serviceKey: { keyring: string; fingerprint: string };
  /** The builder that made the uploads: its rootfs's package versions, as the fixtures' generator recorded them. */
  readonly profiles: Readonly<Record<string, { readonly packages: { readonly dgit: string } }>>;
  readonly uploads: readonly UploadCase[];
}

export const MANIFEST = JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures', 'uploads', 'manifest.json'), 'utf8')) as Manifest;
export const SERVICE_KEYRING = join(REPO_ROOT, MANIFEST.serviceKey.keyring);

export function uploadCase(name: string): UploadCase {
  const u = MANIFEST.uploads.find((x) => x.case === name);
  if (!u) throw new Error(`no upload fixture ${name}`);
  return u;
}

export const bundleOf = (u: UploadCase): string => join(REPO_ROOT, u.bundle);
export const dscOf = (u: UploadCase): string => join(REPO_ROOT, u.dir, u.dsc);

/** The upload of a .dsc at hand, read once as `reproduce` takes it (its files checked beside it); throws when it cannot be read. */
export async function packageOf(dscPath: string): Promise<SourcePackage> {
  const r = await readLocalPackage(dscPath);
  if (!r.ok) throw new Error(`${dscPath}: ${r.reasons.map((x) => `${x.code} ${x.message}`).join('; ')}`);
  return r.pkg;
}
