// The service's URL policy defaults: it fetches what others name, so it
// contacts Salsa, dgit-repos and its mirrors unless told otherwise.
import { describe, expect, it } from 'vitest';
import { urlPolicyOf } from '../../src/pipeline/open-repository.js';
import { applyFlags, parseServiceConfig } from '../../src/server/service-config.js';

const flags = { webhookSecret: ['a-webhook-secret-of-some-length'] };

describe('the service URL policy', () => {
  it('defaults to Salsa, dgit-repos and the configured mirrors, loopback http off', () => {
    const config = parseServiceConfig(applyFlags({}, { ...flags, mirror: 'https://mirror.example.org/debian' }), 'test');
    expect(urlPolicyOf(config)).toEqual({
      allowHttpLoopback: false,
      allowedHosts: ['salsa.debian.org', 'git.dgit.debian.org', 'mirror.example.org', 'deb.debian.org'],
    });
  });

  it('keeps a configured host list, and the test-only switch comes from --allow-http alone', () => {
    const config = parseServiceConfig(applyFlags({ fetch: { allowedHosts: ['salsa.debian.org'] } }, { ...flags, allowHttp: true }), 'test');
    expect(urlPolicyOf(config)).toEqual({ allowHttpLoopback: true, allowedHosts: ['salsa.debian.org'] });
  });

  it('refuses a host list entry that is not a lower-case host name', () => {
    expect(() => parseServiceConfig(applyFlags({ fetch: { allowedHosts: ['https://salsa.debian.org/'] } }, flags), 'test')).toThrow(
      /fetch\.allowedHosts/,
    );
  });
});
