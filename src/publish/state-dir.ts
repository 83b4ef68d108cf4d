// Where a log client keeps the checkpoints it has seen, one file per log:
// $XDG_STATE_HOME/t2u-verify, else ~/.local/state/t2u-verify (XDG Base
// Directory). Apart from the client so that --help can name it cheaply.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The default state directory: $XDG_STATE_HOME/t2u-verify, else ~/.local/state/t2u-verify. */
export function defaultStateDir(): string {
  const base = process.env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state');
  return join(base, 't2u-verify');
}
