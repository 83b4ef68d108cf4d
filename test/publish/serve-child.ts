// A whole `serve` process for the kill -9 test: the service (intake and API,
// the SQLite store on its thread, workers, the publisher and its log) with a
// stand-in for the verification that answers at once, so that attestations
// are appended as fast as jobs arrive. Reads {dataDir, origin} as JSON on
// stdin; prints the service's URL, then runs until it is killed.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { VerifyReport } from '../../src/report/report.js';
import { startTestService, verifyReport } from '../server/service-helpers.js';

const input = JSON.parse(readFileSync(0, 'utf8')) as { dataDir: string; origin: string };
const handle = await startTestService({
  dataDir: input.dataDir,
  workers: 8,
  config: { log: { origin: input.origin } },
  verifyJob: (req) =>
    Promise.resolve({
      ...verifyReport(req),
      upload: { origin: 'x', dsc: 'x.dsc', sha256: createHash('sha256').update(req.tag).digest('hex') },
    } as VerifyReport),
});
process.stdout.write(`${handle.url}\n`);
