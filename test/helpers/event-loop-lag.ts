// How free this event loop stays while something runs: a timer that should
// fire every `intervalMs`, and the most it fired late. A test that wants work
// kept off the loop (a job in its own process, commits on the store's thread)
// bounds that lateness.

/** Runs `body` while a timer ticks every `intervalMs`: its value, and the worst lateness of a tick in ms. */
export async function withTimerLag<T>(intervalMs: number, body: () => Promise<T>): Promise<{ value: T; worstLagMs: number }> {
  let worstLagMs = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    worstLagMs = Math.max(worstLagMs, now - last - intervalMs);
    last = now;
  }, intervalMs);
  try {
    const value = await body();
    return { value, worstLagMs };
  } finally {
    clearInterval(ticker);
  }
}
