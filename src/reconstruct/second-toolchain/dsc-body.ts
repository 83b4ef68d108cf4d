// The .dsc body dpkg-source writes (dpkg-source.pl's build branch,
// Dpkg::Source::Package::write_dsc, Dpkg::Control::HashCore::output), for
// dpkg-dev 1.22 and 1.23, followed by the three fields tag2upload appends
// (Dgit, Git-Tag-Info, Git-Tag-Tagger, in that order: dgit round-trips the
// .dsc through Dpkg::Control::Hash and adds them).
//
// Control data is handled as bytes (each byte one character), as Perl
// reads it; the appended fields are UTF-8.
import { parseDeb822 } from '../../deb822/parse.js';
import { angleGroups, foldLineBreaks, isJsSpace, splitAround, trimBoth, trimEnd, trimStart } from '../../text/scan.js';
import type { Deb822Paragraph } from '../../deb822/paragraph.js';
import { formatField } from '../../deb822/write.js';
import { sourceArchitecture } from './debian-arch.js';
import { normalizeBuildDeps, parseDeps } from './dpkg-deps.js';
import { isFormatError } from '../../report/format-error.js';
import { UnsupportedInput } from './unsupported-input.js';

export interface DscFileSums {
  readonly name: string;
  readonly size: number;
  readonly md5: string;
  readonly sha1: string;
  readonly sha256: string;
}

export interface DscBodyInput {
  /** debian/source/format's first line ("1.0" when there is no such file). */
  readonly format: string;
  readonly control: Buffer;
  /** Source and Version of the changelog's first entry. */
  readonly changelog: { readonly source: string; readonly version: string };
  /** debian/tests/control, when the tree has one. */
  readonly testsControl?: Buffer;
  readonly dpkgDev: '1.22' | '1.23';
  /** The files, in the order dpkg-source adds them. */
  readonly files: readonly DscFileSums[];
  readonly appended: { readonly dgit: string; readonly gitTagInfo: string; readonly gitTagTagger: string | Uint8Array };
}

/** Dpkg::Control::FieldsCore field_ordered_list(CTRL_DSC), the same in 1.22 and 1.23. */
const DSC_ORDER = [
  'Format',
  'Source',
  'Binary',
  'Architecture',
  'Version',
  'Origin',
  'Maintainer',
  'Uploaders',
  'Homepage',
  'Description',
  'Standards-Version',
  'Vcs-Browser',
  'Vcs-Arch',
  'Vcs-Bzr',
  'Vcs-Cvs',
  'Vcs-Darcs',
  'Vcs-Git',
  'Vcs-Hg',
  'Vcs-Mtn',
  'Vcs-Svn',
  'Testsuite',
  'Testsuite-Triggers',
  'Build-Depends',
  'Build-Depends-Arch',
  'Build-Depends-Indep',
  'Build-Conflicts',
  'Build-Conflicts-Arch',
  'Build-Conflicts-Indep',
  'Package-List',
  'Checksums-Md5',
  'Checksums-Sha1',
  'Checksums-Sha256',
  'Files',
];
/** The fields field_is_allowed_in(…, CTRL_DSC) accepts: exactly the ordered ones. */
const DSC_ALLOWED = new Map(DSC_ORDER.map((f) => [f.toLowerCase(), f]));
/** field_list_src_dep() and field_get_dep_type(). */
const SRC_DEP: Record<string, boolean> = {
  'Build-Depends': false,
  'Build-Depends-Arch': false,
  'Build-Depends-Indep': false,
  'Build-Conflicts': true,
  'Build-Conflicts-Arch': true,
  'Build-Conflicts-Indep': true,
};

/** field_capitalize: a known field's spelling, otherwise each dash-separated word capitalised. */
function capitalize(name: string): string {
  return (
    DSC_ALLOWED.get(name.toLowerCase()) ??
    name
      .toLowerCase()
      .split('-')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('-')
  );
}

/** A Dpkg::Control hash: looked up case-insensitively, keeping the first spelling. */
class Fields {
  private readonly map = new Map<string, { name: string; value: string }>();
  set(name: string, value: string): void {
    const e = this.map.get(name.toLowerCase());
    if (e) e.value = value;
    else this.map.set(name.toLowerCase(), { name, value });
  }
  get(name: string): string | undefined {
    return this.map.get(name.toLowerCase())?.value;
  }
  /** HashCore::output with an output order: the ordered fields first, then the rest by Perl's cmp; empty ones dropped. */
  output(): string {
    const rank = new Map(DSC_ORDER.map((f, i) => [f, i]));
    const entries = [...this.map.values()].sort((a, b) => {
      const ra = rank.get(a.name);
      const rb = rank.get(b.name);
      if (ra !== undefined && rb !== undefined) return ra - rb;
      if (ra !== undefined) return -1;
      if (rb !== undefined) return 1;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    });
    return entries
      .filter((e) => /[^ \t\n\v\f\r]/.test(e.value))
      .map((e) => formatField(e.name, e.value))
      .join('');
  }
}

/** field_transfer_single into a .dsc: allowed fields as they are, X[SBC]*- fields with S lose their prefix. */
function transfer(to: Fields, name: string, value: string): void {
  const field = capitalize(name);
  if (DSC_ALLOWED.has(field.toLowerCase())) {
    to.set(field, value);
    return;
  }
  const m = /^X([SBC]*)-/i.exec(field);
  if (m && /S/i.test(m[1]!)) to.set(field.replace(/^X[SBC]*-/i, ''), value);
}

/** Dpkg::Control::HashCore::get_custom_field: the value of X[SBC]*-NAME. */
function customField(p: Deb822Paragraph, name: string): string | undefined {
  const f = p.fields.find((x) => new RegExp(`^X[SBC]*-${name}$`, 'i').test(x.name));
  return f?.value;
}

// Dpkg::Email::Address (1.23): "name <email>", name of unquoted parts without
// commas or quoted parts, at least one space before "<". Its regular
// expression, `\s*((?:[^<>"\x00-\x1f\x7f,]+|"[^<>"\x00-\x1f\x7f]+")*)\s+<(EMAIL)>\s*`,
// nests quantifiers and backtracks exponentially on a name without "<";
// the same language is read here by one scan.
// eslint-disable-next-line no-control-regex -- dpkg's class names the control characters it excludes
const ADDR_EMAIL = /^[^@<>"\s\x00-\x1f\x7f,]+@[^@<>"\s\x00-\x1f\x7f,]+$/;
const isControl = (c: string): boolean => c <= '\x1f' || c === '\x7f';

/** Whether `core` is a sequence of unquoted parts and non-empty quoted parts. */
function isAddressName(core: string): boolean {
  for (let i = 0; i < core.length; i++) {
    const c = core[i]!;
    if (c === '"') {
      const close = core.indexOf('"', i + 1);
      if (close <= i + 1) return false;
      for (let j = i + 1; j < close; j++) if (isControl(core[j]!)) return false;
      i = close;
    } else if (c === ',' || isControl(c)) return false;
  }
  return true;
}

/** The name and email of one address, as the regular expression would capture them, or null. */
export function parseAddress(value: string): { name: string; email: string } | null {
  // Neither the name nor the email nor the white space may hold "<" or ">": each occurs once.
  const lt = value.indexOf('<');
  const gt = value.indexOf('>');
  if (lt === -1 || gt < lt || value.indexOf('<', lt + 1) !== -1 || value.indexOf('>', gt + 1) !== -1) return null;
  const email = value.slice(lt + 1, gt);
  if (!ADDR_EMAIL.test(email) || trimStart(value.slice(gt + 1), isJsSpace) !== '') return null;
  const prefix = value.slice(0, lt);
  const body = trimStart(prefix, isJsSpace);
  // Only white space before "<": the name is empty, and "\s+" needs one character of it.
  if (body === '') return prefix === '' ? null : { name: '', email };
  const core = trimEnd(body, isJsSpace);
  if (core.length === body.length || !isAddressName(core)) return null;
  // The greedy name also takes the white space a name may hold, leaving one for "\s+".
  const tail = body.slice(core.length);
  let k = 0;
  while (k < tail.length - 1 && !isControl(tail[k]!)) k++;
  return { name: core + tail.slice(0, k), email };
}

function formatAddress(value: string, field: string): string {
  const a = parseAddress(value);
  if (!a) throw new UnsupportedInput(`cannot parse ${field} field value "${value}"`);
  return `${a.name} <${a.email}>`;
}

/** Dpkg::Email::Address::parse_list: addresses separated by commas, none before the first, any after the last. */
export function formatAddressList(value: string): string {
  // A comma inside a quoted name part separates nothing.
  const pieces: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '"') quoted = !quoted;
    else if (value[i] === ',' && !quoted) {
      pieces.push(value.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(value.slice(start));
  const out: string[] = [];
  for (const [i, piece] of pieces.entries()) {
    if (i > 0 && trimStart(piece, isJsSpace) === '') continue;
    const a = parseAddress(piece);
    if (!a) throw new UnsupportedInput(`cannot parse Uploaders field value "${value}"`);
    out.push(`${a.name} <${a.email}>`);
  }
  return out.join(', ');
}

/** Package-List's profile properties from a Build-Profiles field. */
function profileProps(value: string, dpkgDev: '1.22' | '1.23'): string {
  if (dpkgDev === '1.22') {
    // 1.22: string replacements: drop the outer <>, join lists with "+", their elements with ",".
    const t = trimBoth(value, isJsSpace);
    const inner = t.length >= 2 && t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1) : value;
    const p = inner.replace(/>\s+</g, '+').replace(/\s+/g, ',');
    return ` profile=${p}`;
  }
  // 1.23: parse_build_profiles, then the deprecated "profile=" and the new "profile:v1=".
  const restrictions = angleGroups(value).map((g) => g.split(/\s+/).filter((w) => w !== ''));
  return ` profile=${restrictions.map((r) => r.join(',')).join('+')} profile:v1=${restrictions.map((r) => r.join('&')).join('|')}`;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Testsuite-Triggers: every package named in debian/tests/control's Depends, less the binaries and "@". */
function testTriggers(tests: Buffer, binaries: readonly string[]): string {
  const names = new Set<string>();
  for (const p of parseDeb822(tests.toString('latin1'))) {
    if (!p.has('Tests') && !p.has('Test-Command'))
      throw new UnsupportedInput('test control debian/tests/control is missing Tests or Test-Command field');
    const depends = p.get('Depends');
    if (depends === undefined) continue;
    for (const d of parseDeps(depends, { testsDep: true })) {
      for (const s of d.kind === 'simple' ? [d] : d.alternatives) names.add(s.package);
    }
  }
  for (const b of [...binaries, '@']) names.delete(b);
  return [...names].sort(cmp).join(', ');
}

function checksumField(files: readonly DscFileSums[], key: 'md5' | 'sha1' | 'sha256'): string {
  return files.map((f) => `\n${f[key]} ${f.size} ${f.name}`).join('');
}

/** The .dsc dpkg-source writes (before tag2upload appends its fields), as bytes. */
export function dpkgSourceDsc(input: Omit<DscBodyInput, 'appended'>): Buffer {
  try {
    return Buffer.from(build(input), 'latin1');
  } catch (e) {
    if (isFormatError(e, 'deb822')) throw new UnsupportedInput(e.message);
    throw e;
  }
}

/**
 * The .dsc body tag2upload signs: dpkg-source's, then Dgit, Git-Tag-Info and
 * Git-Tag-Tagger (text in UTF-8; bytes as given, as dgit copies the tag's
 * tagger header whatever its encoding).
 */
export function dscBody(input: DscBodyInput): Buffer {
  const field = (name: string, value: string | Uint8Array): Buffer =>
    Buffer.from(
      formatField(name, Buffer.from(typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('latin1')),
      'latin1',
    );
  return Buffer.concat([
    dpkgSourceDsc(input),
    field('Dgit', input.appended.dgit),
    field('Git-Tag-Info', input.appended.gitTagInfo),
    field('Git-Tag-Tagger', input.appended.gitTagTagger),
  ]);
}

function build(input: Omit<DscBodyInput, 'appended'>): string {
  const paragraphs = parseDeb822(input.control.toString('latin1'));
  const src = paragraphs[0];
  if (!src || !src.has('Source')) throw new UnsupportedInput("debian/control doesn't contain any information about the source package");
  const fields = new Fields();
  // Dpkg::Source::Package->new(format => …) sets Format first.
  fields.set('Format', input.format);
  for (const { name, value } of src.fields) {
    // dpkg-source compares the names as written (exact case).
    if (name === 'Source') fields.set(name, value);
    else if (name === 'Uploaders') fields.set(name, foldLineBreaks(value, isJsSpace));
    else if (name in SRC_DEP) fields.set(name, normalizeBuildDeps(value, SRC_DEP[name]!));
    else transfer(fields, name, value);
  }

  const packages = paragraphs.slice(1);
  if (packages.length === 0) throw new UnsupportedInput("debian/control doesn't list any binary package");
  const pkgList: string[] = [];
  const binaries: string[] = [];
  const arches: string[] = [];
  for (const pkg of packages) {
    const p = pkg.get('Package') ?? '';
    // `$pkg->{$f} || $src->{$f} || default`: Perl's || also skips "" and "0".
    const pick = (f: string, dflt: string): string =>
      [pkg.get(f), src.get(f)].find((v) => v !== undefined && v !== '' && v !== '0') ?? dflt;
    const type = [pkg.get('Package-Type'), customField(pkg, 'Package-Type')].find((v) => v !== undefined && v !== '' && v !== '0') ?? 'deb';
    let line = `${p} ${type} ${pick('Section', 'unknown')} ${pick('Priority', 'optional')}`;
    line += ` arch=${(pkg.get('Architecture') ?? '')
      .split(/\s+/)
      .filter((a) => a !== '')
      .join(',')}`;
    const profiles = pkg.get('Build-Profiles');
    if (profiles !== undefined) line += profileProps(profiles, input.dpkgDev);
    for (const f of ['Protected', 'Essential']) if (pkg.get(f) === 'yes') line += ` ${f.toLowerCase()}=yes`;
    pkgList.push(line);
    binaries.push(p);
    for (const { name, value } of pkg.fields) {
      if (name === 'Architecture') arches.push(value);
      else if (name !== 'Homepage' && name !== 'Description') transfer(fields, name, value);
    }
  }
  fields.set('Architecture', sourceArchitecture(arches));
  fields.set('Package-List', `\n${[...pkgList].sort(cmp).join('\n')}`);

  // set_testsuite_fields.
  const suites = new Set(splitAround(fields.get('Testsuite') ?? '', ',', isJsSpace).filter((s) => s !== ''));
  if (input.testsControl) {
    suites.add('autopkgtest');
    if (!fields.get('Testsuite-Triggers')) fields.set('Testsuite-Triggers', testTriggers(input.testsControl, binaries));
  } else suites.delete('autopkgtest');
  fields.set('Testsuite', [...suites].sort(cmp).join(', '));

  fields.set('Source', input.changelog.source);
  fields.set('Version', input.changelog.version);

  if (input.dpkgDev === '1.23') {
    // 1.23 re-writes Maintainer and Uploaders through Dpkg::Email::Address(List); a trailing comma in Maintainer is dropped.
    const maint = fields.get('Maintainer');
    if (maint) fields.set('Maintainer', formatAddress(maint.replace(/,\s*$/, ''), 'Maintainer'));
    const up = fields.get('Uploaders');
    if (up) fields.set('Uploaders', formatAddressList(up));
  }

  let binary = binaries.join(', ');
  // "Avoid overly long line by splitting over multiple lines."
  if (binary.length > 980) binary = binary.replace(/(.{0,980}), ?/g, '$1,\n');
  fields.set('Binary', binary);

  fields.set('Checksums-Sha1', checksumField(input.files, 'sha1'));
  fields.set('Checksums-Sha256', checksumField(input.files, 'sha256'));
  fields.set('Files', checksumField(input.files, 'md5'));

  return fields.output();
}
