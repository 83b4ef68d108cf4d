// `t2u-verify verify`: the verifier's main job. All five layers for one tag
// and one upload: a verdict line, then what differs, or the report object.
// Three ways to name them: SOURCE VERSION (the upload from the archive's
// verified Sources index, the tag and repository found from its .dsc), a
// .dsc path or URL as dscverify takes (the same, for that upload), or
// --repo and --tag (the upload from --upload, or the archive).
import type { Command } from 'commander';
import { INSTALLED_UPLOAD_KEYRING } from '../pipeline/upload-keyring-path.js';
import { addKeyringOptions } from './keyring-flags.js';
import { addAllowExpiredRelease } from './expired-release.js';
import type { VerifyOptions } from './verify-action.js';

export function registerVerify(program: Command, setExit: (code: number) => void): void {
  const cmd = addAllowExpiredRelease(program.command('verify'))
    .description('Prove or refute a tag2upload upload: tag authenticity and metadata, binding, content and bits')
    .argument(
      '[source|dsc]',
      "a source package name (then VERSION), or the upload's .dsc (a path, its files beside it, or an https:// URL)",
    )
    .argument('[version]', 'the version of SOURCE whose upload to verify')
    .option(
      '--repo <url|path>',
      "repository: an https:// URL (smart HTTP) or a local git checkout (default with SOURCE VERSION or a .dsc: the .dsc's Dgit URL, its Vcs-Git, then Salsa's debian/SOURCE, whichever has the tag)",
    )
    .option(
      '--tag <name>',
      "tag name, e.g. debian/1.2-3 (without refs/tags/; default with SOURCE VERSION or a .dsc: git-debpush's name for the version)",
    )
    .option(
      '--upload <dsc>',
      "the upload's .dsc, with --repo and --tag: a path (files beside it) or an https:// URL (files from the same directory)",
    )
    .option('--mirror <url>', "find the upload in this mirror's verified Sources index (default: the configured mirror, deb.debian.org)")
    .option('--suite <name>', 'the suite whose Sources index to search (default sid)');
  addKeyringOptions(cmd)
    .option('--dm-txt <file>', "ftp-master's dm.txt: which packages each Debian Maintainer may upload")
    .option(
      '--upload-keyring <file>',
      `the tag2upload service keyring (default ${INSTALLED_UPLOAD_KEYRING} when installed, else debian-tag2upload-keyring from the Debian mirror)`,
    )
    .option('--config <file>', 'configuration file (JSON; see docs/configuration.md)')
    .option('--allow-http', 'allow plain http:// repositories and uploads on loopback addresses (tests)')
    .option('--timeout <seconds>', 'time limit per sandboxed build or unpacking')
    .option('--json', 'print the report object (schema t2u-verify/report/v1)')
    .option('--progress', 'print progress on stderr even when it is not a terminal, or with --json')
    .option('--no-progress', 'print no progress, even on a terminal')
    .option('--attest <keyfile>', 'sign an attestation of the verdict (in-toto in DSSE; docs/transparency.md) with this Ed25519 PEM key')
    .option(
      '--attest-out <file>',
      'where to write the attestation (default: SOURCE_VERSION.t2u-verify.intoto.json in the current directory)',
    )
    .option('--attest-name <name>', "the key name in the attestation's keyid", 't2u-verify')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        "  t2u-verify verify hello 2.10-5                 the archive's upload of hello 2.10-5 (sid)",
        '  t2u-verify verify ./hello_2.10-5.dsc           an upload at hand, as dscverify takes it',
        '  t2u-verify verify --repo https://salsa.debian.org/debian/hello.git --tag debian/2.10-5',
        '',
        "With --repo and --tag and without --upload, the upload is the archive entry for the tag's source",
        'and version in the mirror.',
        'Exit status: 0 reproduced or equivalent, 1 mismatch or rejected, 2 usage or configuration error,',
        '3 unverifiable.',
      ].join('\n'),
    )
    .action(async (first: string | undefined, version: string | undefined, opts: VerifyOptions) =>
      (await import('./verify-action.js')).verifyAction(setExit, first, version, opts),
    );
}
