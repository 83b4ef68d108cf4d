// Test time limits that follow the work a test does, not the clock. Every
// sandboxed step the code runs has its own limit (the build's timeoutMs,
// config's build.timeoutMs), after which the code itself kills the sandbox
// and reports BUILD_TIMEOUT or SANDBOX_TIMEOUT. A test's own limit is the sum
// of the limits of the sandboxed steps it runs, plus a margin for its
// set-up: it fires only when the code failed to enforce its limits, and a
// slow machine gets the code's verdict, never a test runner's timeout.
import { DEFAULT_BUILD_TIMEOUT_MS } from '../../src/config/schema.js';

export { DEFAULT_BUILD_TIMEOUT_MS };

/**
 * The per-step limit tests hand the code (timeoutMs, buildTimeoutMs): an
 * honest build of a fixture takes seconds alone and under a minute on a
 * loaded two-core machine with other builds running.
 */
export const TEST_BUILD_MS = 300_000;

/** Set-up, git, signature checks and comparison around the sandboxed steps. */
const MARGIN_MS = 60_000;

/** A test's limit for `steps` sandboxed steps, each limited to `perStep` ms by the code. */
export function forSteps(steps: number, perStep: number = TEST_BUILD_MS): number {
  return steps * perStep + MARGIN_MS;
}

/**
 * The sandboxed steps one `verify` runs with `profiles` builder profiles:
 * the content check's unpacking, one build per profile, the tarball diff
 * or the checkout-mtime check, and the second toolchain's compression.
 */
export function verifySteps(profiles: number): number {
  return profiles + 3;
}
