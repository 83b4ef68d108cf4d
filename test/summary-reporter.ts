// The suite's closing summary: the ten slowest tests, the time spent in
// sandboxed builds and commands (read from the ledger every test process
// writes, src/sandbox/time-ledger.ts, in a directory this reporter makes and
// names in the environment before the test processes start), the tests
// skipped with a reason, and last, on a line of its own, the count CI systems
// read: "N passed, N failed, N skipped". That line is written as the process
// exits, so nothing another reporter prints comes after it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import { readSandboxLedger, SANDBOX_LEDGER_ENV } from '../src/sandbox/time-ledger.js';

const SLOWEST = 10;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export default class SummaryReporter implements Reporter {
  private ledger: string | undefined;
  private closing: string | undefined;

  onInit(): void {
    this.ledger = mkdtempSync(join(tmpdir(), 't2u-verify-sandbox-ledger-'));
    process.env[SANDBOX_LEDGER_ENV] = this.ledger;
    process.once('exit', () => {
      if (this.closing !== undefined) process.stdout.write(this.closing);
    });
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const timed: { test: TestCase; ms: number }[] = [];
    const notes: string[] = [];
    for (const mod of testModules) {
      for (const t of mod.children.allTests()) {
        const result = t.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'failed') failed++;
        else skipped++;
        const d = t.diagnostic();
        if (d) timed.push({ test: t, ms: d.duration });
        if (result.state === 'skipped' && result.note) notes.push(`  ${name(t)}: ${result.note}`);
      }
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++;
    }
    const out: string[] = ['', `Slowest ${Math.min(SLOWEST, timed.length)} tests:`];
    for (const { test, ms } of timed.sort((a, b) => b.ms - a.ms).slice(0, SLOWEST)) out.push(`  ${seconds(ms).padStart(8)}  ${name(test)}`);
    if (this.ledger) {
      const times = readSandboxLedger(this.ledger);
      out.push(
        `Sandbox: ${times.build.runs} builds, ${seconds(times.build.ms)}; ${times.command.runs} sandboxed commands in all (builds included), ${seconds(times.command.ms)} (summed over test processes)`,
      );
      rmSync(this.ledger, { recursive: true, force: true });
    }
    if (notes.length) out.push('Skipped, with the reason:', ...notes);
    process.stdout.write(`${out.join('\n')}\n`);
    this.closing = `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
  }
}

function name(t: TestCase): string {
  return `${relative(process.cwd(), t.module.moduleId)} > ${t.fullName}`;
}
