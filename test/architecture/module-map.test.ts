// The module map of docs/architecture.md §3, checked against the imports of
// src/: every folder is on the map and in the document's table, imports point
// only down the map, folders of one tier (the stages) do not import each
// other except for the edges listed as debts below, and there is no cycle.
// A new edge that points up, a new stage-to-stage edge, or an import of a
// stage's files other than its face (index.ts) fails here; the lint's
// boundaries rule (eslint.config.js) says the same in the editor. The stages
// that run commands (reconstruct/, compare/, tarball/) receive the sandbox as a
// port and do not import the launcher or the rootfs builder.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

/** docs/module-map.json, which the lint's boundaries rule reads too. */
const MAP = JSON.parse(readFileSync(join(ROOT, 'docs/module-map.json'), 'utf8')) as {
  tiers: string[][];
  faced: string[];
  stageEdgeDebts: string[];
};
const TIERS: readonly (readonly string[])[] = MAP.tiers;
const FACED: readonly string[] = MAP.faced;
const FOUNDATIONS = TIERS[TIERS.length - 1]!;
const STAGE_EDGE_DEBTS: ReadonlySet<string> = new Set(MAP.stageEdgeDebts);

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Relative module specifiers of static and dynamic imports and re-exports (our own source: a plain scan is enough). */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\b(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) out.push(m[1]!);
  return out;
}

function folderOf(file: string): string {
  return relative(SRC, file).split(sep)[0]!;
}

function tierOf(folder: string): number {
  return TIERS.findIndex((t) => t.includes(folder));
}

const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
const edges = new Map<string, string[]>(); // "a -> b" -> files
const pastFaces: string[] = []; // imports of a stage's files other than its face, from outside the stage
for (const file of tsFiles(SRC)) {
  const from = folderOf(file);
  for (const spec of specifiers(readFileSync(file, 'utf8'))) {
    const target = resolve(join(file, '..'), spec);
    if (!target.startsWith(SRC + sep)) continue;
    const to = folderOf(target);
    if (to === from) continue;
    const key = `${from} -> ${to}`;
    edges.set(key, [...(edges.get(key) ?? []), relative(ROOT, file)]);
    if (FACED.includes(to) && target !== join(SRC, to, 'index.js')) pastFaces.push(`${relative(ROOT, file)} imports ${spec}`);
  }
}

describe('the module map', () => {
  it('places every folder of src/ on the map', () => {
    expect(folders.filter((f) => tierOf(f) < 0)).toEqual([]);
  });

  it('lists exactly the folders of src/ in docs/architecture.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const listed = [...doc.matchAll(/^\| `([a-z0-9-]+)\/` \|/gm)].map((m) => m[1]!);
    expect([...listed].sort()).toEqual([...folders].sort());
  });

  it('has imports that point down the map only', () => {
    const up = [...edges.entries()]
      .filter(([key]) => {
        const [from, to] = key.split(' -> ') as [string, string];
        return tierOf(to) < tierOf(from);
      })
      .map(([key, files]) => `${key} (${files.join(', ')})`);
    expect(up).toEqual([]);
  });

  it('keeps the stages apart, but for the listed debts', () => {
    const sideways = [...edges.keys()].filter((key) => {
      const [from, to] = key.split(' -> ') as [string, string];
      return tierOf(from) === tierOf(to) && !FOUNDATIONS.includes(from) && !STAGE_EDGE_DEBTS.has(key);
    });
    expect(sideways).toEqual([]);
  });

  it('imports each stage through its face (index.ts) only', () => {
    expect(FACED.filter((f) => !folders.includes(f) || !statSync(join(SRC, f, 'index.ts'), { throwIfNoEntry: false }))).toEqual([]);
    expect(pastFaces).toEqual([]);
  });

  it('gives the sandbox to the stages that run commands: they import its port, never the launcher or the rootfs builder', () => {
    const RECEIVERS = ['reconstruct', 'compare', 'tarball'];
    const LAUNCHER = [join(SRC, 'sandbox', 'launcher.js'), join(SRC, 'sandbox', 'rootfs.js')];
    const starting = tsFiles(SRC)
      .filter((file) => RECEIVERS.includes(folderOf(file)))
      .flatMap((file) =>
        specifiers(readFileSync(file, 'utf8'))
          .filter((spec) => LAUNCHER.includes(resolve(join(file, '..'), spec)))
          .map((spec) => `${relative(ROOT, file)} imports ${spec}`),
      );
    expect(starting).toEqual([]);
  });

  it('lists no debt that is already paid', () => {
    expect([...STAGE_EDGE_DEBTS].filter((key) => !edges.has(key))).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const next = new Map<string, string[]>();
    for (const key of edges.keys()) {
      const [from, to] = key.split(' -> ') as [string, string];
      next.set(from, [...(next.get(from) ?? []), to]);
    }
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (node: string, path: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
        return;
      }
      state.set(node, 'open');
      for (const to of next.get(node) ?? []) visit(to, [...path, node]);
      state.set(node, 'done');
    };
    for (const f of folders) visit(f, []);
    expect(cycles).toEqual([]);
  });
});
