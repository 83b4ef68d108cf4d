// openpgp.js, loaded when a key or signature is first parsed rather than when
// the verifier starts: evaluating its 1.2 MB bundle (which precomputes
// cipher and curve tables as it loads) costs tens of milliseconds that a
// verification can spend while its fetch waits on the network instead
// (loadKeyrings starts the loading; bench/verify.bench.ts). The async entry
// points of authenticate/openpgp/ await loadOpenpgp(); code they call may
// then use openpgp() synchronously.
//
// The package's own minified build is loaded, through its exports' `require`
// condition (dist/node/openpgp.min.cjs), not the unminified ES module its
// `import` condition names (dist/node/openpgp.mjs): the same release, a
// third of the bytes to parse; measured 40 ms against 65 to load.
// test/authenticate/openpgp-module.test.ts checks it is the same release.
import { createRequire } from 'node:module';
import type * as OpenPGP from 'openpgp';

export type OpenPgp = typeof OpenPGP;

let loaded: OpenPgp | undefined;
let loading: Promise<OpenPgp> | undefined;

/** openpgp.js, loaded once. */
export function loadOpenpgp(): Promise<OpenPgp> {
  // Loaded in a later turn of the event loop, as import() would be: the caller's synchronous work goes first.
  return (loading ??= new Promise<void>((resolve) => setImmediate(resolve)).then(
    () => (loaded = createRequire(import.meta.url)('openpgp') as OpenPgp),
  ));
}

/** openpgp.js, which an entry point has already loaded with loadOpenpgp(). */
export function openpgp(): OpenPgp {
  if (!loaded) throw new Error('openpgp.js is used before loadOpenpgp() resolved');
  return loaded;
}
