import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

function file(content: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'config.json');
  writeFileSync(p, content);
  return p;
}

describe('configuration', () => {
  it('fills documented defaults and freezes the result', async () => {
    const c = await loadConfig(undefined);
    expect(c.policy.rejectDigests).toEqual(['md5', 'sha1', 'ripemd160']);
    expect(c.policy.sha1KeyBindings).toBe('report');
    expect(c.fetch.allowHttpLoopback).toBe(false);
    expect(Object.isFrozen(c.policy)).toBe(true);
    expect(() => {
      (c.fetch as { timeoutMs: number }).timeoutMs = 1;
    }).toThrow(TypeError);
  });

  it('fails with the field path and the reason', async () => {
    await expect(loadConfig(file('{"fetch": {"maxPackBytes": -1}}'))).rejects.toThrow(/fetch\.maxPackBytes: .*greater than 0/);
    await expect(loadConfig(file('{"policy": {"sha1KeyBindings": "ignore"}}'))).rejects.toThrow(/policy\.sha1KeyBindings/);
    await expect(loadConfig(file('{"unknownField": 1}'))).rejects.toThrow(/Unrecognized key/);
    await expect(loadConfig(file('{not json'))).rejects.toBeInstanceOf(ConfigError);
    await expect(loadConfig('/nonexistent/config.json')).rejects.toThrow(/cannot read/);
  });

  it('lets flags override the file', async () => {
    const c = await loadConfig(file('{"keyrings": [{"path": "/a.gpg"}], "fetch": {"timeoutMs": 5}}'), {
      keyrings: [{ path: '/b.gpg', role: 'uploader' }],
    });
    expect(c.keyrings).toEqual([{ path: '/b.gpg', role: 'uploader' }]);
    expect(c.fetch.timeoutMs).toBe(5);
  });
});

describe('cache directory', () => {
  it('follows T2U_VERIFY_CACHE, then XDG_CACHE_HOME, then /var/cache for root or ~/.cache', async () => {
    const { defaultCacheDir } = await import('../../src/config/load.js');
    expect(defaultCacheDir({ T2U_VERIFY_CACHE: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/t2u-verify');
    expect(defaultCacheDir({})).toBe(process.getuid?.() === 0 ? '/var/cache/t2u-verify' : `${process.env['HOME']}/.cache/t2u-verify`);
  });
});
