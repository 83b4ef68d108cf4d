// The sandbox time ledger: nothing written unless the environment names a
// directory; one line per record, per process file; totals by kind.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSandboxLedger, recordSandboxTime, SANDBOX_LEDGER_ENV } from '../../src/sandbox/time-ledger.js';

const saved = process.env[SANDBOX_LEDGER_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[SANDBOX_LEDGER_ENV];
  else process.env[SANDBOX_LEDGER_ENV] = saved;
});

describe('sandbox time ledger', () => {
  it('records into a file named after the process, totals every file by kind, ignores junk', () => {
    const dir = mkdtempSync(join(tmpdir(), 't2u-ledger-test-'));
    try {
      process.env[SANDBOX_LEDGER_ENV] = dir;
      recordSandboxTime('build', 1200.4);
      recordSandboxTime('command', 1500);
      recordSandboxTime('command', 20.6);
      writeFileSync(join(dir, '1'), 'build 800\ncommand 800\nnonsense\ncommand -3\n');
      expect(readdirSync(dir).sort()).toEqual(['1', String(process.pid)].sort());
      expect(readSandboxLedger(dir)).toEqual({ build: { runs: 2, ms: 2000 }, command: { runs: 3, ms: 2321 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes nothing when the environment names no directory', () => {
    delete process.env[SANDBOX_LEDGER_ENV];
    expect(() => recordSandboxTime('build', 5)).not.toThrow();
    expect(readSandboxLedger(join(tmpdir(), 'no-such-ledger-dir-t2u'))).toEqual({ build: { runs: 0, ms: 0 }, command: { runs: 0, ms: 0 } });
  });
});
