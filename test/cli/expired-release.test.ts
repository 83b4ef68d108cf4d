// Every command that reads a mirror (Debian's keyring packages, a suite's
// Sources index) takes the same --allow-expired-release, and it reaches
// every mirror read of the configuration.
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { ALLOW_EXPIRED_RELEASE_HELP, allowingExpiredRelease } from '../../src/cli/expired-release.js';
import { loadConfig } from '../../src/config/load.js';

describe('--allow-expired-release', () => {
  it('is the same option on check-tag, verify, calibrate and watch', () => {
    const program = buildProgram(() => undefined);
    for (const name of ['check-tag', 'verify', 'calibrate', 'watch']) {
      const command = program.commands.find((c) => c.name() === name);
      const option = command?.options.find((o) => o.long === '--allow-expired-release');
      expect(option?.description, name).toBe(ALLOW_EXPIRED_RELEASE_HELP);
    }
  });

  it("accepts an expired InRelease for Debian's keyrings and for the upload index alike", async () => {
    const config = await loadConfig(undefined, {});
    expect([config.debianKeyrings.allowExpiredRelease, config.upload.allowExpiredRelease]).toEqual([false, false]);
    const allowed = allowingExpiredRelease(config);
    expect([allowed.debianKeyrings.allowExpiredRelease, allowed.upload.allowExpiredRelease]).toEqual([true, true]);
    // The rest is as it was.
    expect({ ...allowed, debianKeyrings: config.debianKeyrings, upload: config.upload }).toEqual(config);
  });
});
