// openpgp.js, loaded when a key or signature is first parsed rather than when
// the verifier starts: evaluating its 1.2 MB bundle (which precomputes
// cipher and curve tables as it loads) costs tens of milliseconds that a
// verification can spend while its fetch waits on the network instead
// (loadKeyrings starts the loading; bench/verify.bench.ts). The async entry
// points of authenticate/openpgp/ await loadOpenpgp(); code they call may
// then use openpgp() synchronously.
import type * as OpenPGP from 'openpgp';

export type OpenPgp = typeof OpenPGP;

let loaded: OpenPgp | undefined;
let loading: Promise<OpenPgp> | undefined;

/** openpgp.js, loaded once. */
export function loadOpenpgp(): Promise<OpenPgp> {
  return (loading ??= import('openpgp').then((m) => (loaded = m)));
}

/** openpgp.js, which an entry point has already loaded with loadOpenpgp(). */
export function openpgp(): OpenPgp {
  if (!loaded) throw new Error('openpgp.js is used before loadOpenpgp() resolved');
  return loaded;
}
