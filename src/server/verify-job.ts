// The verification the service's workers run, made from the service's
// configuration (keyrings, upload keyring, mirror, policy, fetch limits): the
// join between the worker loop and the verify pipeline (src/pipeline/).
import type { ServiceConfig } from './service-config.js';
import type { VerifyJob } from './worker.js';

export function makeVerifyJob(_config: Readonly<ServiceConfig>): VerifyJob {
  throw new Error('verify pipeline not wired');
}
