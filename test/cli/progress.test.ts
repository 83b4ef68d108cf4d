// Progress lines: the running byte count of a fetch, throttled to one line a
// second, on a clock the test moves.
import { describe, expect, it } from 'vitest';
import { byteProgress } from '../../src/cli/progress.js';

/** byteProgress labelled 'fetching' with a 1000 ms interval, on a clock the test sets (`clock.t`), printing into `lines`. */
function fetching(): { lines: string[]; clock: { t: number }; report: (bytes: number) => void } {
  const lines: string[] = [];
  const clock = { t: 0 };
  const report = byteProgress(
    (l) => lines.push(l),
    'fetching',
    1000,
    () => clock.t,
  );
  return { lines, clock, report };
}

describe('byteProgress', () => {
  it('prints the running count at most once per interval, only when it moved, the first after one interval', () => {
    const { lines, clock, report } = fetching();
    report(100); // the transfer starts: nothing yet
    clock.t = 500;
    report(600 * 1024);
    expect(lines).toEqual([]);
    clock.t = 1000;
    report(1536 * 1024);
    expect(lines).toEqual(['fetching: 1.5 MiB received']);
    clock.t = 1500;
    report(2 * 1024 * 1024); // within the interval: not shown
    clock.t = 2100;
    report(2 * 1024 * 1024 + 512 * 1024);
    clock.t = 3200;
    report(2 * 1024 * 1024 + 512 * 1024); // no change: not shown
    expect(lines).toEqual(['fetching: 1.5 MiB received', 'fetching: 2.5 MiB received']);
  });

  it('a fetch shorter than the interval prints nothing', () => {
    const { lines, clock, report } = fetching();
    for (let n = 1; n <= 50; n++) {
      clock.t = n * 10;
      report(n * 4096);
    }
    expect(lines).toEqual([]);
  });
});
