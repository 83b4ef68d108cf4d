// The pure parts of the store interface: backoff and list limits.
import { describe, expect, it } from 'vitest';
import { backoffMs, listLimit, resolveOptions } from '../../src/store/store.js';

describe('backoffMs', () => {
  const options = resolveOptions({ backoffBaseMs: 1000, backoffMaxMs: 10_000 });
  it('doubles from the base with each attempt, capped', () => {
    expect([1, 2, 3, 4, 5, 10].map((a) => backoffMs(a, options, () => 0))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
  it('adds at most 20% jitter', () => {
    expect(backoffMs(1, options, () => 0.999)).toBe(1200);
    expect(backoffMs(5, options, () => 0.5)).toBe(11_000);
  });
});

describe('listLimit', () => {
  it('defaults to 100 and stays within 1..1000', () => {
    expect(listLimit(undefined)).toBe(100);
    expect(listLimit({ limit: 0 })).toBe(1);
    expect(listLimit({ limit: 5000 })).toBe(1000);
  });
});
