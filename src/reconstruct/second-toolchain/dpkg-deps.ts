// Build-dependency fields as dpkg-source writes them into a .dsc: parsed
// with Dpkg::Deps::deps_parse (build_dep), simplified with simplify_deps
// against empty facts (a dependency implied by another one is dropped),
// sorted for union fields (Build-Conflicts*), and output in dpkg's
// normal form ("pkg:arch (rel ver) [arches] <profiles>", ", " and " | ").
// The rules follow Dpkg::Deps, Dpkg::Deps::{Simple,AND,OR,Union} and
// Dpkg::Version of dpkg-dev 1.22 and 1.23 (unchanged between them).

import { angleGroups, foldLineBreaks, isJsSpace, splitAround, trimBoth, trimStart } from '../../text/scan.js';
import { compareVersions, isValidVersion } from '../../deb822/version-compare.js';
import { UnsupportedInput } from './unsupported-input.js';

type Relation = '<<' | '<=' | '=' | '>=' | '>>';

export interface SimpleDep {
  readonly kind: 'simple';
  readonly package: string;
  readonly archqual?: string;
  readonly relation?: Relation;
  readonly version?: string;
  readonly arches?: readonly string[];
  readonly restrictions?: readonly (readonly string[])[];
}

export interface OrDep {
  readonly kind: 'or';
  readonly alternatives: readonly SimpleDep[];
}

export type Dep = SimpleDep | OrDep;

// ------------------------------------------------------------- parsing

const simpleRe = (pkg: string): RegExp =>
  new RegExp(
    String.raw`^\s*(${pkg})(?::([a-zA-Z0-9][a-zA-Z0-9-]*))?` +
      String.raw`(?:\s*\(\s*(<<|<=|=|>=|>>|[<>])\s*([^)\s]+)\s*\))?` +
      String.raw`(?:\s*\[([^\]]+)\])?` +
      String.raw`((?:\s*<[^>]+>)+)?\s*$`,
    's',
  );
const SIMPLE_RE = simpleRe('[a-zA-Z0-9][a-zA-Z0-9+.-]*');
/** tests_dep: debian/tests/control may name "@" and "@builddeps@". */
const TESTS_RE = simpleRe('[@a-zA-Z0-9][@a-zA-Z0-9+.-]*');

/** Dpkg::Version::version_normalize_relation: the deprecated "<" and ">" mean "<=" and ">=". */
function normalizeRelation(op: string): Relation {
  if (op === '<') return '<=';
  if (op === '>') return '>=';
  return op as Relation;
}

/** Perl's split ' ': on runs of white space, leading white space ignored. */
const words = (s: string): string[] => s.split(/[ \t\n\v\f\r]+/).filter((w) => w !== '');

/**
 * What `\[\s*([^\]]+)\s*\]` (ends 'start') or `<\s*([^>]+?)\s*>` (ends 'both')
 * captures of the text between the brackets: JavaScript white space cut, and
 * when nothing else is left, the last white-space character.
 */
function bracketed(inner: string, ends: 'start' | 'both'): string {
  const cut = ends === 'start' ? trimStart(inner, isJsSpace) : trimBoth(inner, isJsSpace);
  return cut === '' ? inner.slice(-1) : cut;
}

function parseSimple(text: string, testsDep: boolean): SimpleDep {
  const m = (testsDep ? TESTS_RE : SIMPLE_RE).exec(text);
  if (!m) throw new UnsupportedInput(`cannot parse dependency ${JSON.stringify(text)}`);
  // Dpkg::BuildProfiles: the restriction formula is a list of "<a b>" groups.
  const restrictions = m[6] === undefined ? undefined : angleGroups(m[6]).map((g) => words(bracketed(g, 'both')));
  return {
    kind: 'simple',
    package: m[1]!,
    ...(m[2] !== undefined ? { archqual: m[2] } : {}),
    ...(m[3] !== undefined ? { relation: normalizeRelation(m[3]), version: m[4]! } : {}),
    ...(m[5] !== undefined ? { arches: words(bracketed(m[5], 'start')) } : {}),
    ...(restrictions ? { restrictions } : {}),
  };
}

export interface ParseOptions {
  /** deps_parse's tests_dep (and use_arch => 0), as for debian/tests/control. */
  readonly testsDep?: boolean;
}

/** deps_parse(line, build_dep => 1): the AND list, in field order. */
export function parseDeps(line: string, options: ParseOptions = {}): Dep[] {
  const flat = trimBoth(foldLineBreaks(line, isJsSpace), isJsSpace);
  const ands = splitAround(flat, ',', isJsSpace);
  // Perl's split drops trailing empty fields (a trailing comma is allowed).
  while (ands.length > 0 && ands[ands.length - 1] === '') ands.pop();
  return ands.map((and) => {
    const alternatives = splitAround(and, '|', isJsSpace).map((t) => parseSimple(t, options.testsDep === true));
    return alternatives.length === 1 ? alternatives[0]! : { kind: 'or', alternatives };
  });
}

// --------------------------------------------------------- implication

/** Dpkg::Deps::Simple::_arch_is_superset. */
function archIsSuperset(p?: readonly string[], q?: readonly string[]): boolean {
  if (!p) return true;
  if (!q) return false;
  const pNeg = p[0]!.startsWith('!');
  const qNeg = q[0]!.startsWith('!');
  if (!pNeg && !qNeg) return q.every((a) => p.includes(a));
  if (pNeg && qNeg) return p.every((a) => q.includes(a));
  if (!pNeg && qNeg) return false;
  return p.every((a) => !q.includes(a.slice(1)));
}

/** Dpkg::Deps::Simple::_restrictions_imply. */
function restrictionsImply(p?: readonly (readonly string[])[], q?: readonly (readonly string[])[]): boolean {
  if (!p) return true;
  if (!q) return false;
  const key = (l: readonly string[]): string => [...l].sort().join(' ');
  const left = new Set(q.map(key));
  for (const l of p) left.delete(key(l));
  return left.size === 0;
}

/** Dpkg::Deps::deps_eval_implication: 1 true, 0 false, undefined unknown. */
function evalImplication(relP: Relation, vP: string, relQ: Relation, vQ: string): 0 | 1 | undefined {
  if (!isValidVersion(vP) || !isValidVersion(vQ)) return undefined;
  const c = compareVersions(vP, vQ);
  const when = (cond: boolean, yes: 0 | 1 | undefined, no: 0 | 1 | undefined): 0 | 1 | undefined => (cond ? yes : no);
  switch (relQ) {
    case '=':
      if (relP === '<<') return when(c <= 0, 0, undefined);
      if (relP === '<=') return when(c < 0, 0, undefined);
      if (relP === '>>') return when(c >= 0, 0, undefined);
      if (relP === '>=') return when(c > 0, 0, undefined);
      return c === 0 ? 1 : 0;
    case '<=':
      if (relP === '>>') return when(c >= 0, 0, undefined);
      if (relP === '>=') return when(c > 0, 0, undefined);
      if (relP === '=') return c <= 0 ? 1 : 0;
      return when(c <= 0, 1, undefined);
    case '<<':
      // dpkg compares $v_p with itself here (always true): kept as dpkg does it.
      if (relP === '>>' || relP === '>=') return 0;
      if (relP === '<<') return when(c <= 0, 1, undefined);
      if (relP === '=') return c < 0 ? 1 : 0;
      return when(c < 0, 1, undefined);
    case '>=':
      if (relP === '<<') return when(c <= 0, 0, undefined);
      if (relP === '<=') return when(c < 0, 0, undefined);
      if (relP === '=') return c >= 0 ? 1 : 0;
      return when(c >= 0, 1, undefined);
    case '>>':
      if (relP === '<<' || relP === '<=') return when(c <= 0, 0, undefined);
      if (relP === '>>') return when(c >= 0, 1, undefined);
      if (relP === '=') return c > 0 ? 1 : 0;
      return when(c > 0, 1, undefined);
  }
}

function simpleImpliesSimple(p: SimpleDep, q: SimpleDep): 0 | 1 | undefined {
  if (p.package !== q.package) return undefined;
  if (!archIsSuperset(p.arches, q.arches)) return undefined;
  // _arch_qualifier_implies: equal qualifiers, or none on both sides.
  if (p.archqual !== q.archqual) return undefined;
  if (!restrictionsImply(p.restrictions, q.restrictions)) return undefined;
  if (q.relation === undefined) return 1;
  if (p.relation === undefined) return undefined;
  return evalImplication(p.relation, p.version!, q.relation, q.version!);
}

/** Dpkg::Deps::Simple::implies. */
function simpleImplies(p: SimpleDep, q: Dep): 0 | 1 | undefined {
  if (q.kind === 'simple') return simpleImpliesSimple(p, q);
  let res: 0 | 1 | undefined;
  for (const d of q.alternatives) {
    const i = simpleImpliesSimple(p, d);
    if (i === undefined) continue;
    res = res === undefined ? i : i ? 1 : 0;
    if (res === 1) break;
  }
  return res;
}

/** Dpkg::Deps::OR::implies: every alternative of p implies some alternative of q. */
function orImplies(p: OrDep, q: Dep): 0 | 1 | undefined {
  if (q.kind !== 'or') return undefined;
  return p.alternatives.every((d) => q.alternatives.some((o) => simpleImpliesSimple(d, o) === 1)) ? 1 : undefined;
}

function implies(p: Dep, q: Dep): boolean {
  return (p.kind === 'simple' ? simpleImplies(p, q) : orImplies(p, q)) === 1;
}

/** Dpkg::Deps::AND::simplify_deps with no known facts. */
export function simplifyDeps(deps: readonly Dep[]): Dep[] {
  const list = [...deps];
  const kept: Dep[] = [];
  next: while (list.length > 0) {
    const dep = list.shift()!;
    for (const o of kept) if (implies(o, dep)) continue next;
    // A dependency implied by a later one is replaced by it: "a | b, c, a" becomes "a, c".
    for (let i = 0; i < list.length; i++) {
      if (implies(list[i]!, dep)) {
        const [o] = list.splice(i, 1);
        list.unshift(o!);
        continue next;
      }
    }
    kept.push(dep);
  }
  return kept;
}

const RELATION_ORDER: Record<string, number> = { undef: 0, '>=': 1, '>>': 2, '=': 3, '<<': 4, '<=': 5 };

/** Perl's cmp on strings (code points; the text is read as bytes). */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Dpkg::Deps::deps_compare, for a union of simple dependencies (versions compare as Dpkg::Version objects). */
function compareSimple(a: SimpleDep, b: SimpleDep): number {
  return (
    cmp(a.package, b.package) ||
    RELATION_ORDER[a.relation ?? 'undef']! - RELATION_ORDER[b.relation ?? 'undef']! ||
    compareVersions(a.version ?? '', b.version ?? '')
  );
}

/** Dpkg::Deps::Simple::merge_union: the merged dependency, or undefined when the two stay apart. */
function mergeUnion(self: SimpleDep, o: SimpleDep): SimpleDep | undefined {
  if (self.package !== o.package || self.arches || o.arches) return undefined;
  const unversioned = (): SimpleDep => {
    const { relation: _r, version: _v, ...rest } = self;
    return rest;
  };
  if (o.relation === undefined && self.relation !== undefined) return unversioned();
  const forward = simpleImpliesSimple(self, o);
  if (forward !== undefined) {
    if (!forward) return undefined;
    return o.relation === undefined ? unversioned() : { ...self, relation: o.relation, version: o.version! };
  }
  return simpleImpliesSimple(o, self) === 1 ? self : undefined;
}

/** Dpkg::Deps::Union::simplify_deps. */
function simplifyUnion(deps: readonly SimpleDep[]): SimpleDep[] {
  const kept: SimpleDep[] = [];
  next: for (const o of deps) {
    for (let i = 0; i < kept.length; i++) {
      const merged = mergeUnion(kept[i]!, o);
      if (merged) {
        kept[i] = merged;
        continue next;
      }
    }
    kept.push(o);
  }
  return kept;
}

function outputSimple(d: SimpleDep): string {
  let s = d.package;
  if (d.archqual !== undefined) s += `:${d.archqual}`;
  if (d.relation !== undefined) s += ` (${d.relation} ${d.version!})`;
  if (d.arches) s += ` [${d.arches.join(' ')}]`;
  for (const r of d.restrictions ?? []) s += ` <${r.join(' ')}>`;
  return s;
}

export function outputDeps(deps: readonly Dep[]): string {
  return deps.map((d) => (d.kind === 'simple' ? outputSimple(d) : d.alternatives.map(outputSimple).join(' | '))).join(', ');
}

/**
 * A build-dependency field as dpkg-source puts it in the .dsc. `union`: the
 * Build-Conflicts fields (Dpkg::Deps::Union, simple dependencies only, sorted).
 */
export function normalizeBuildDeps(value: string, union: boolean): string {
  const deps = parseDeps(value);
  if (!union) return outputDeps(simplifyDeps(deps));
  if (deps.some((d) => d.kind !== 'simple')) throw new UnsupportedInput('an union dependency can only contain simple dependencies');
  return outputDeps(simplifyUnion(deps as SimpleDep[]).sort(compareSimple));
}
