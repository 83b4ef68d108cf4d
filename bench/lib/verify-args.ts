// The arguments of `t2u-verify verify` on a fixture upload as a user passes
// them in the benches: the tag from a repository served over loopback HTTP,
// the upload a .dsc; Debian's keyrings stay (the default), the fixtures'
// uploader keyring and dm.txt come on top, and the test service keyring
// stands for debian-tag2upload-keyring; the JSON report, no progress.
import { FIXTURE_KEYRINGS } from '../../test/helpers/fixture-keyrings.js';
import { SERVICE_KEYRING } from '../../test/reconstruct/upload-fixtures.js';

/** `verify --repo REPO --tag TAG --upload DSC ...`, each build or unpacking limited to `timeoutSeconds`. */
export function fixtureVerifyArgs(repo: string, tag: string, dsc: string, timeoutSeconds: number): string[] {
  return [
    'verify',
    '--repo',
    repo,
    '--tag',
    tag,
    '--upload',
    dsc,
    '--allow-http',
    '--keyring',
    FIXTURE_KEYRINGS.uploaders,
    '--dm-txt',
    FIXTURE_KEYRINGS.dmTxt,
    '--upload-keyring',
    SERVICE_KEYRING,
    '--timeout',
    String(timeoutSeconds),
    '--json',
    '--no-progress',
  ];
}
