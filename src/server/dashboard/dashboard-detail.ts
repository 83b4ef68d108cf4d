// The dashboard's detail page for one job: the verdict and what it means, the
// tag, source and upload facts, the five layers, every reason with its
// meaning and operator action (src/report/reasons.ts), and the diff: content
// differences, tarball members with their unified diffs, .dsc fields and the
// files table. The stored report is JSON written by some version of the
// verifier, so every field is read defensively: a missing or odd field shows
// as absent, never as a crash.
import { REASONS, reasonInfo, type ReasonCode } from '../../report/reasons.js';
import type { AttemptLogEntry, Job } from '../../store/store.js';
import { adviceFor } from '../../report/advice.js';
import { durationText, facts, timeText, VERDICT_MEANINGS, verdictBadge } from './dashboard-layout.js';
import { jobDurationMs, jobPackage, jobTitle } from './job-facts.js';
import { html, type HtmlValue, type SafeHtml } from './html.js';

type Obj = Readonly<Record<string, unknown>>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const list = (v: unknown): readonly Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** Any stored value as text: strings as they are, other values as JSON. */
function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

const mono = (v: unknown): SafeHtml | undefined => {
  const t = text(v);
  return t === undefined ? undefined : html`<code class="hash">${t}</code>`;
};

const LAYERS = ['authenticity', 'metadata', 'binding', 'content', 'bits'] as const;

const LAYER_CLAIMS: Readonly<Record<(typeof LAYERS)[number], string>> = {
  authenticity: "the tag's signature verifies by an authorised key, under the policy",
  metadata: 'the tag is a valid tag2upload instruction and agrees with debian/changelog',
  binding: 'the .dsc is signed by the tag2upload key and its Git-Tag-Info/Git-Tag-Tagger name this tag and signer',
  content: "the source package's unpacked content equals the tag's tree",
  bits: "the rebuilt files and .dsc body are byte-identical to the upload's",
};

function statusClass(status: string | undefined): string {
  return status === 'pass' || status === 'fail' || status === 'skipped' ? `s-${status}` : '';
}

function layersTable(layers: Obj): SafeHtml {
  const rows = LAYERS.filter((l) => isObj(layers[l])).map((l) => {
    const r = obj(layers[l]);
    const status = text(r['status']);
    return html`<tr><td>${l}</td><td class="${statusClass(status)}">${status ?? '?'}</td><td>${LAYER_CLAIMS[l]}</td><td>${text(r['detail']) ?? ''}</td></tr>`;
  });
  if (rows.length === 0) return html`<p class="muted">No layers recorded.</p>`;
  return html`<table class="layers"><thead><tr><th>Layer</th><th>Status</th><th>Claim</th><th>Detail</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function reasonsTable(reasons: readonly Obj[], emptyText: string): SafeHtml {
  if (reasons.length === 0) return html`<p class="muted">${emptyText}</p>`;
  const rows = reasons.map((r) => {
    const code = text(r['code']) ?? '?';
    const subject = r['subject'] === 'tag' || r['subject'] === 'upload' ? r['subject'] : undefined;
    const info = Object.hasOwn(REASONS, code) ? reasonInfo(code as ReasonCode, subject) : undefined;
    return html`<tr><td><code>${code}</code>${subject === undefined ? '' : html` <span class="muted">(${subject === 'upload' ? 'the .dsc' : 'the tag'})</span>`}</td><td>${text(r['layer']) ?? ''}</td><td class="wrap">${text(r['message']) ?? ''}</td><td>${
      info?.meaning ?? 'Unknown code (reported by another version of the verifier).'
    }</td><td>${info?.action ?? ''}</td></tr>`;
  });
  return html`<table class="reasons"><thead><tr><th>Code</th><th>Layer</th><th>Message</th><th>Meaning</th><th>Operator action</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function side(v: unknown, keys: readonly string[]): SafeHtml | string {
  if (!isObj(v)) return '—';
  return html`${keys.filter((k) => v[k] !== undefined).map((k, i) => html`${i > 0 ? html`<br>` : ''}<span class="muted">${k}</span> <code class="hash">${text(v[k])}</code>`)}`;
}

function contentSection(content: Obj): SafeHtml {
  const checked = Array.isArray(content['checked']) ? (content['checked'] as unknown[]).map(text) : [];
  const diffs = list(content['differences']);
  const truncated = text(content['truncated']);
  return html`<h3>Content differences</h3>
${checked.length > 0 ? html`<p>Compared: ${checked.filter((c) => c !== undefined).join('; ')}.</p>` : ''}
${
  diffs.length === 0
    ? html`<p class="muted">No content differences.</p>`
    : html`<p class="muted">The upload's unpacked source against the tag's tree: <em>added</em> is a path only the upload has.</p><table class="content-diff"><thead><tr><th>Scope</th><th>Path</th><th>Change</th><th>Tag's tree</th><th>Upload</th></tr></thead><tbody>${diffs.map(
        (d) =>
          html`<tr class="${text(d['change']) ?? ''}"><td>${text(d['scope']) ?? ''}</td><td class="mono wrap">${text(d['path']) ?? ''}</td><td class="change">${
            text(d['change']) ?? ''
          }</td><td>${side(d['expected'], ['mode', 'oid'])}</td><td>${side(d['got'], ['mode', 'oid'])}</td></tr>`,
      )}</tbody></table>`
}
${truncated !== undefined ? html`<p class="notice">${truncated} more differences not listed.</p>` : ''}`;
}

function filesTable(files: readonly Obj[]): SafeHtml {
  if (files.length === 0) return html`<p class="muted">No files recorded.</p>`;
  const cell = (v: unknown, k: string) => (isObj(v) ? text(v[k]) : undefined);
  return html`<table class="files"><thead><tr><th>File</th><th>Match</th><th>Origin</th><th>Rebuilt size</th><th>Rebuilt SHA-256</th><th>Upload size</th><th>Upload SHA-256</th></tr></thead><tbody>${files.map(
    (f) =>
      html`<tr><td class="mono wrap">${text(f['name']) ?? ''}</td><td class="${f['match'] === true ? 's-pass' : 's-fail'}">${f['match'] === true ? 'identical' : 'differs'}</td><td>${
        text(f['origin']) ?? ''
      }</td><td class="num">${cell(f['expected'], 'size') ?? '—'}</td><td>${mono(cell(f['expected'], 'sha256')) ?? '—'}</td><td class="num">${
        cell(f['got'], 'size') ?? '—'
      }</td><td>${mono(cell(f['got'], 'sha256')) ?? '—'}</td></tr>`,
  )}</tbody></table>`;
}

function fieldsTable(fields: readonly Obj[]): SafeHtml {
  if (fields.length === 0) return html`<p class="muted">No .dsc field differs.</p>`;
  return html`<table class="fields"><thead><tr><th>Field</th><th>Rebuilt value</th><th>Upload value</th></tr></thead><tbody>${fields.map(
    (f) =>
      html`<tr><td><code>${text(f['field']) ?? ''}</code></td><td><pre class="wrap">${text(f['expected']) ?? '(absent)'}</pre></td><td><pre class="wrap">${
        text(f['got']) ?? '(absent)'
      }</pre></td></tr>`,
  )}</tbody></table>`;
}

/** A tarball member's side, as src/compare/tar-diff.ts records it. */
const MEMBER_KEYS = ['type', 'size', 'mode', 'owner', 'mtime', 'link', 'sha256'] as const;

function tarballSection(t: Obj): SafeHtml {
  const members = list(t['members']);
  const error = text(t['error']);
  const truncated = text(t['truncated']);
  const member = (m: Obj): SafeHtml => {
    const diff = text(m['diff']);
    const aspects = Array.isArray(m['aspects'])
      ? (m['aspects'] as unknown[])
          .map(text)
          .filter((a) => a !== undefined)
          .join(', ')
      : '';
    return html`<tr class="${text(m['change']) ?? ''}"><td class="mono wrap">${text(m['path']) ?? ''}</td><td class="change">${text(m['change']) ?? ''}</td><td>${aspects}</td><td>${side(
      m['expected'],
      MEMBER_KEYS,
    )}</td><td>${side(m['got'], MEMBER_KEYS)}</td></tr>${diff !== undefined ? html`<tr class="member-diff"><td colspan="5"><pre class="diff">${diff}</pre></td></tr>` : ''}`;
  };
  return html`<h3>Tarball <code>${text(t['file']) ?? '?'}</code></h3>
${error !== undefined ? html`<p class="error">Members could not be listed: ${error}</p>` : ''}
${
  members.length > 0
    ? html`<p class="muted">Members of the tarball rebuilt from the tag against the upload's: <em>added</em> is a member only the upload has, <em>removed</em> one only the rebuild has; the diffs run from the rebuild (<code>a/</code>) to the upload (<code>b/</code>).</p>
<table class="members"><thead><tr><th>Member</th><th>Change</th><th>Differs in</th><th>Rebuilt from the tag</th><th>Upload</th></tr></thead><tbody>${members.map(member)}</tbody></table>`
    : error === undefined
      ? html`<p class="muted">No member differs.</p>`
      : ''
}
${truncated !== undefined ? html`<p class="notice">${truncated} more members not listed.</p>` : ''}`;
}

/** agrees/differs/failed/not-run (ToolchainResult) as the layer colours. */
function toolchainClass(status: string | undefined): string {
  return status === 'agrees' ? 's-pass' : status === 'differs' || status === 'failed' ? 's-fail' : status === 'not-run' ? 's-skipped' : '';
}

function reconstructionSection(r: Obj): SafeHtml {
  const toolchains = list(r['toolchains']);
  const attempts = list(r['attempts']);
  const tarballs = list(r['tarballs']);
  return html`<h2>Reconstruction</h2>
${facts([
  ['Builder profile', text(r['profile'])],
  [
    '.dsc body',
    r['dscIdentical'] === true
      ? 'byte-identical to the upload’s signed body'
      : r['dscIdentical'] === false
        ? 'differs from the upload’s signed body'
        : undefined,
  ],
])}
${
  toolchains.length > 0
    ? html`<h3>Toolchains</h3><p class="muted">dgit: Debian's builder code in the sandbox; typescript: the verifier's own implementation. A verdict needs them to agree.</p><table class="toolchains"><thead><tr><th>Toolchain</th><th>Result</th><th>Detail</th></tr></thead><tbody>${toolchains.map(
        (t) =>
          html`<tr><td>${text(t['name']) ?? ''}</td><td class="${toolchainClass(text(t['status']))}">${text(t['status']) ?? ''}</td><td class="wrap">${text(t['detail']) ?? ''}</td></tr>`,
      )}</tbody></table>`
    : ''
}
${
  attempts.length > 0
    ? html`<h3>Profiles tried</h3><table class="attempts"><thead><tr><th>Profile</th><th>Outcome</th><th>Differences</th><th>Time</th></tr></thead><tbody>${attempts.map(
        (a) =>
          html`<tr><td>${text(a['profile']) ?? ''}</td><td>${text(a['outcome']) ?? ''}</td><td class="num">${text(a['differences']) ?? ''}</td><td class="num">${
            typeof a['durationMs'] === 'number' ? durationText(a['durationMs']) : ''
          }</td></tr>`,
      )}</tbody></table>`
    : ''
}
<h3>Files</h3>
${filesTable(list(r['files']))}
<h3>.dsc field differences</h3>
${fieldsTable(list(r['fields']))}
${tarballs.map(tarballSection)}`;
}

function jobNotice(job: Job): HtmlValue {
  if (job.status === 'queued') {
    return html`<p class="notice">Queued: ${job.attempts === 0 ? 'not started yet' : `attempt ${job.attempts} of ${job.maxAttempts} failed; next attempt`} at ${timeText(job.runAt)}. This page shows the result once it is done.</p>`;
  }
  if (job.status === 'running') {
    return html`<p class="notice">Running since ${timeText(job.startedAt)} (attempt ${job.attempts} of ${job.maxAttempts}${
      job.leaseOwner !== null ? `, worker ${job.leaseOwner}` : ''
    }). This page shows the result once it is done.</p>`;
  }
  return '';
}

export interface DetailPaths {
  readonly home: string;
  readonly json: (id: string) => string;
  /** The page of a package's uploads. */
  readonly pkg?: (name: string) => string;
  /** An attempt's log, as text. */
  readonly log?: (id: string, attempt: number) => string;
}

/** The advice for the verdict, from the layer of the reason that decided it (src/report/advice.ts). */
function adviceBox(report: Obj | undefined): SafeHtml | string {
  if (report === undefined) return '';
  const layers = obj(report['layers']);
  const passed = (l: string) => text(obj(layers[l])['status']) === 'pass';
  const advice = adviceFor(list(report['reasons']), passed('authenticity') && passed('metadata'));
  if (advice === undefined) return '';
  return html`<div class="advice suspect-${advice.suspect}" id="advice"><p><strong>${advice.headline}</strong></p><p>${advice.steps}</p><p class="muted small">Decided by <code>${advice.code}</code> (layer ${advice.layer}).</p></div>`;
}

function timingsTable(timings: Obj): SafeHtml | string {
  const rows = Object.entries(timings).filter((e): e is [string, number] => typeof e[1] === 'number');
  if (rows.length === 0) return '';
  // Reports name their timings fetchMs, bitsMs, …, totalMs.
  const label = (k: string) => (k.endsWith('Ms') ? k.slice(0, -2) : k);
  return html`<h2>Timings</h2><table class="timings"><tbody>${rows.map(([k, v]) => html`<tr><td>${label(k)}</td><td class="num">${durationText(v)}</td></tr>`)}</tbody></table>`;
}

/** Links to what each attempt printed (its build log), when any was kept. */
function logLinks(job: Job, logs: readonly AttemptLogEntry[], paths: DetailPaths): SafeHtml | '' {
  const link = paths.log;
  if (link === undefined || logs.length === 0) return '';
  return html`<p class="logs">Build log${logs.length === 1 ? '' : 's'}: ${logs.map(
    (l, i) =>
      html`${i > 0 ? ', ' : ''}<a href="${link(job.id, l.attempt)}">attempt ${l.attempt}</a> (${formatSize(l.bytes)}${l.truncated ? ', truncated' : ''})`,
  )}</p>`;
}

function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`;
}

export function detailBody(job: Job, paths: DetailPaths, logs: readonly AttemptLogEntry[] = []): SafeHtml {
  const report = isObj(job.report) ? job.report : undefined;
  const verdict = job.verdict ?? undefined;
  const meaning = verdict !== undefined && Object.hasOwn(VERDICT_MEANINGS, verdict) ? VERDICT_MEANINGS[verdict] : undefined;
  const tag = obj(report?.['tag']);
  const source = obj(report?.['source']);
  const upload = report?.['upload'];
  const content = report?.['content'];
  const reconstruction = report?.['reconstruction'];
  const pkg = jobPackage(job);
  const took = jobDurationMs(job);
  return html`<h1>${jobTitle(job)} <span class="muted small">verification ${job.id}</span></h1>
<p class="verdict-line">${verdictBadge(job.verdict, job.status)} ${meaning ?? (verdict === undefined ? `This verification is ${job.status}.` : '')}</p>
${jobNotice(job)}
${job.lastError !== null ? html`<p class="error">Last error: ${job.lastError}</p>` : ''}
${adviceBox(report)}
${
  report === undefined
    ? ''
    : html`<h2>Reasons</h2>
${reasonsTable(list(report['reasons']), 'No reasons: every check that ran passed.')}
${
  list(report['notes']).length > 0
    ? html`<h3>Notes</h3><p class="muted">Reported without failing a layer: a difference with a known, harmless cause (which makes the verdict equivalent) or a policy remark.</p>${reasonsTable(list(report['notes']), '')}`
    : ''
}
<h2>Layers</h2>
${layersTable(obj(report['layers']))}`
}
<h2>Verification</h2>
${facts([
  [
    'Package',
    pkg !== undefined && paths.pkg !== undefined
      ? html`<a href="${paths.pkg(pkg)}">${pkg}</a> <span class="muted">(every upload of it)</span>`
      : pkg,
  ],
  ['Repository', mono(job.repo)],
  ['Tag', mono(job.tag)],
  ['Tag object', mono(job.tagObject)],
  ['Upload', mono(job.upload)],
  ['Requested by', job.intake],
  ['Status', job.status],
  ['Attempts', `${job.attempts} of ${job.maxAttempts}`],
  ['Created', timeText(job.createdAt)],
  ['Started', timeText(job.startedAt)],
  ['Finished', timeText(job.finishedAt)],
  ['Took', took !== undefined ? durationText(took) : undefined],
])}
${
  report === undefined
    ? html`<p class="muted">No report${job.status === 'done' ? ' was recorded' : ' yet'}.</p>`
    : html`<h2>Tag</h2>
${facts([
  ['Name', mono(tag['name'])],
  ['Object', mono(tag['object'])],
  ['Commit', mono(tag['commit'])],
  ['Tagger', text(tag['tagger'])],
  ['Tagger date', text(tag['taggerDate'])],
  ['Signing key', mono(tag['signerFingerprint'])],
  ['Primary key', mono(tag['primaryFingerprint'])],
  ['Keyring', mono(tag['keyring'])],
  ['Digest', text(tag['digestAlgorithm'])],
  ['Signed', text(tag['signatureCreated'])],
])}
<h2>Source</h2>
${facts([
  ['Package', text(source['package'])],
  ['Version', text(source['version'])],
  ['Quilt mode', text(source['quiltMode'])],
  ['Distributions', Array.isArray(source['distros']) ? (source['distros'] as unknown[]).map(text).join(', ') : text(source['distros'])],
  ['Upstream commit', mono(source['upstreamCommit'])],
  ['Upstream tag', mono(source['upstreamTag'])],
])}
${
  isObj(upload)
    ? html`<h2>Upload</h2>
${facts([
  ['Origin', mono(upload['origin'])],
  ['.dsc', mono(upload['dsc'])],
  ['.dsc SHA-256', mono(upload['sha256'])],
  ['Source', text(upload['source'])],
  ['Version', text(upload['version'])],
  ['Signed by', mono(upload['signer'])],
  ['Signed', text(upload['signed'])],
  ['Git-Tag-Info', mono(upload['gitTagInfo'])],
  ['Git-Tag-Tagger', text(upload['gitTagTagger'])],
  ['Dgit', mono(upload['dgit'])],
])}`
    : ''
}
${isObj(content) || isObj(reconstruction) ? html`<h2>Differences</h2>` : ''}
${isObj(content) ? contentSection(content) : ''}
${isObj(reconstruction) ? reconstructionSection(reconstruction) : ''}
${timingsTable(obj(report['timings']))}
<p><a href="${paths.json(job.id)}">The report as JSON</a></p>`
}
${logLinks(job, logs, paths)}
<p><a href="${paths.home}">← all verifications</a></p>`;
}
