// Calibration on real uploads: a small seeded sample of tag2upload uploads of
// sid, obtained from deb.debian.org through the verified Sources index (the
// mirror serves part of the pool; the rest is skipped and counted), each
// .dsc's signature checked with the real debian-tag2upload-keyring, unpacked
// with dpkg-source -x in the sandbox and rebuilt under the builder profiles.
// The assertion is the calibration target itself: every downloadable upload
// reproduced or equivalent, with its profile named. A miss fails the test and
// its report (reasons, files, fields) is in the failure message.
import { expect, it } from 'vitest';
import { calibrate, calibrationExitCode, type CalibrationReport } from '../../src/pipeline/calibrate.js';
import { render } from '../../src/cli/calibrate-action.js';
import { tag2uploadKeyring } from '../upload/tag2upload-keyring.js';
import { realMirrorProblem } from '../helpers/real-mirror.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const work = scratchDir('t2u-calibrate-real-');

it('real Debian mirror (deb.debian.org): a sample of real tag2upload uploads is reproduced, each with its profile; skipped, with the reason, when the snapshot cannot show it', async ({
  skip,
}) => {
  const problem = await realMirrorProblem('sid', ['main/source/Sources.xz', 'main/binary-all/Packages.xz']);
  if (problem) skip(problem);
  const keyring = (await tag2uploadKeyring('sid')).path;
  const report: CalibrationReport = await calibrate({
    sample: 5,
    // Small uploads keep the run short; the seed keeps the draw stable while the index is.
    selection: { kind: 'random', seed: 7 },
    maxBytes: 600_000,
    maxCandidates: 300,
    uploadKeyring: keyring,
    // sid's InRelease on this mirror can be past its Valid-Until; the report says so.
    allowExpiredRelease: true,
    tmpDir: work.dir,
    buildTimeoutMs: 300_000,
  });
  const text = render(report);
  expect(report.downloadable, text).toBeGreaterThanOrEqual(5);
  expect(report.tried).toBe(report.notOnMirror + report.downloadable);
  for (const u of report.uploads) {
    if (u.verdict === 'skipped') {
      expect(u.reasons.map((r) => r.code)).toEqual(['UPLOAD_NOT_FOUND']);
      continue;
    }
    // A verdict with a profile, or a reason for the lack of one.
    expect(u.profile !== undefined || u.reasons.length > 0, `${u.source} ${u.version}`).toBe(true);
    expect(u.signature?.ok, `${u.source} ${u.version}: .dsc signature`).toBe(true);
  }
  expect(report.mismatch + report.unverifiable, text).toBe(0);
  expect(
    report.uploads.filter((u) => u.verdict !== 'skipped').every((u) => u.profile),
    text,
  ).toBe(true);
  expect(calibrationExitCode(report)).toBe(0);
}, 600_000);
