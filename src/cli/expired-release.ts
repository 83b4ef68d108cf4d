// The one `--allow-expired-release` flag of every command that reads a
// mirror (check-tag and verify: Debian's keyring packages; verify, calibrate
// and watch: a suite's Sources index). apt's Acquire::Check-Valid-Until=false:
// an InRelease past its Valid-Until is accepted with a warning, for a mirror
// that is a known snapshot. Without it such a Release is refused, because a
// mirror replaying an old Release is how removed keys or old uploads would
// come back.
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';

export const ALLOW_EXPIRED_RELEASE_HELP =
  "accept a mirror's InRelease past its Valid-Until (a snapshot mirror), with a warning in the output";

export function addAllowExpiredRelease(command: Command): Command {
  return command.option('--allow-expired-release', ALLOW_EXPIRED_RELEASE_HELP);
}

/** The configuration with every mirror read accepting an expired InRelease: Debian's keyrings and the upload index. */
export function allowingExpiredRelease(config: Readonly<Config>): Config {
  return {
    ...config,
    debianKeyrings: { ...config.debianKeyrings, allowExpiredRelease: true },
    upload: { ...config.upload, allowExpiredRelease: true },
  };
}
