// dpkg's own reading and writing of control data (Dpkg::Control::HashCore from
// the host's libdpkg-perl), as the reference the deb822 module must match.
import { spawnSync } from 'node:child_process';

export interface DpkgResult {
  /** Exit status: 0 parsed, otherwise dpkg refused the input. */
  readonly status: number;
  /** Each paragraph as Dpkg::Control::HashCore::output writes it. */
  readonly paragraphs: string[];
  readonly stderr: string;
}

const SCRIPT = `
use Dpkg::Control::HashCore;
my @out;
while (1) {
  my $c = Dpkg::Control::HashCore->new(allow_pgp => 1);
  last unless $c->parse(\\*STDIN, 'input');
  push @out, $c->output;
}
print join("\\0", @out);
`;

export function dpkgRoundTrip(text: string | Uint8Array): DpkgResult {
  const r = spawnSync('perl', ['-e', SCRIPT], { input: text, env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  if (r.error) throw r.error;
  const out = r.stdout.toString('utf8');
  return { status: r.status ?? -1, paragraphs: out === '' ? [] : out.split('\0'), stderr: r.stderr.toString() };
}
