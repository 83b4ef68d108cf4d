// dm.txt parsing, on the fixture file (ftp-master's format) and on the shapes
// dgit-repos-server's dm_txt_check copes with.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDmTxt } from '../../src/authenticate/dm-txt.js';
import { DM_TXT, fixtureKeys } from './gpg-harness.js';

describe('parseDmTxt', () => {
  it('reads the fixture dm.txt: the DM may upload the packages in its Allow: list only', () => {
    const dm = parseDmTxt(readFileSync(DM_TXT, 'utf8'));
    const keys = fixtureKeys();
    const fpr = keys.dm!.primary;
    expect(dm.isDmAuthorised(fpr, 'hello-t2u')).toBe(true);
    expect(dm.isDmAuthorised(fpr.toLowerCase(), 'another-pkg')).toBe(true);
    expect(dm.isDmAuthorised(fpr, 'other-pkg')).toBe(false);
    // The granting DD's fingerprint in parentheses is not a package, nor is the granter a DM.
    expect(dm.isDmAuthorised(fpr, keys.rsa3072!.primary)).toBe(false);
    expect(dm.isDmAuthorised(keys.rsa3072!.primary, 'hello-t2u')).toBe(false);
    // The subkey is not what dm.txt lists: dgit checks the primary fingerprint.
    expect(dm.isDmAuthorised(keys.dm!.signing, 'hello-t2u')).toBe(false);
  });

  it('handles several stanzas, long Allow: lists, CRLF and odd spacing', () => {
    const text = [
      'Fingerprint: AAAA000000000000000000000000000000000001',
      'Uid: One <one@example.org>',
      'Allow: alpha (BBBB000000000000000000000000000000000009), beta (BBBB000000000000000000000000000000000009),',
      ' gamma (BBBB000000000000000000000000000000000009),',
      '\tdelta+plus (BBBB000000000000000000000000000000000009)',
      '',
      'Fingerprint: aaaa000000000000000000000000000000000002\r',
      'Uid: Two <two@example.org>\r',
      '',
      'Fingerprint: AAAA000000000000000000000000000000000001',
      'Allow: sneaky (BBBB000000000000000000000000000000000009)',
      '',
    ].join('\n');
    const dm = parseDmTxt(text);
    expect(dm.size).toBe(2);
    expect([...dm.packagesOf('aaaa000000000000000000000000000000000001')].sort()).toEqual(['alpha', 'beta', 'delta+plus', 'gamma']);
    // A stanza without Allow: grants nothing.
    expect(dm.packagesOf('AAAA000000000000000000000000000000000002').size).toBe(0);
    // dgit reads the first stanza of a fingerprint; a later duplicate adds nothing.
    expect(dm.isDmAuthorised('AAAA000000000000000000000000000000000001', 'sneaky')).toBe(false);
  });

  it('gives nothing for empty input', () => {
    expect(parseDmTxt('').size).toBe(0);
  });
});
