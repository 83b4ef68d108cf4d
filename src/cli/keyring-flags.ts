// The uploader-keyring flags shared by check-tag, verify, serve and worker,
// with dscverify's meaning: `--keyring FILE` adds a keyring to Debian's own
// (debian-keyring, debian-maintainers, debian-nonupload), and
// `--no-default-keyrings` leaves only the ones given. A keyring given this way
// authorises its keys for any package, as debian-keyring does.
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';

export interface KeyringFlags {
  readonly keyring?: readonly string[];
  /** commander's negatable option: false when --no-default-keyrings is given. */
  readonly defaultKeyrings?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function addKeyringOptions(cmd: Command): Command {
  return cmd
    .option('--keyring <file>', "uploader keyring added to Debian's keyrings (repeatable); its keys may upload any package", collect, [])
    .option('--no-default-keyrings', "use only the --keyring files, not Debian's keyrings (nor the configuration's keyrings)");
}

/** The configuration fields the flags set: `extraKeyrings`, and `keyrings` emptied by --no-default-keyrings. */
export function keyringOverrides(flags: KeyringFlags): Pick<Partial<Config>, 'keyrings' | 'extraKeyrings'> {
  const out: Pick<Partial<Config>, 'keyrings' | 'extraKeyrings'> = {};
  if (flags.defaultKeyrings === false) out.keyrings = [];
  if (flags.keyring !== undefined && flags.keyring.length > 0)
    out.extraKeyrings = flags.keyring.map((path) => ({ path, role: 'uploader' as const }));
  return out;
}
