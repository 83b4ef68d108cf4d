// The tagger bytes the binding compares with Git-Tag-Tagger: the tag's
// tagger header as it was written, which need not be UTF-8 (dgit copies the
// header's bytes), never a re-encoding of its decoded text.
import { describe, expect, it } from 'vitest';
import { taggerIdentBytes } from '../../src/bind/index.js';

describe('taggerIdentBytes', () => {
  it('gives the UTF-8 bytes of a UTF-8 tagger and the recorded bytes of any other, so a Latin-1 é is not a UTF-8 é', () => {
    expect(taggerIdentBytes({ tagger: 'Zoë <z@t2u.test>' })).toEqual(new Uint8Array(Buffer.from('Zoë <z@t2u.test>', 'utf8')));
    const latin1 = taggerIdentBytes({
      tagger: 'Jos\xe9 <j@t2u.test>',
      taggerBytes: Buffer.from('Jos\xe9 <j@t2u.test>', 'latin1').toString('hex'),
    });
    expect(Buffer.from(latin1!)).toEqual(Buffer.from('Jos\xe9 <j@t2u.test>', 'latin1'));
    expect(Buffer.from(latin1!).equals(Buffer.from('José <j@t2u.test>', 'utf8'))).toBe(false);
    expect(taggerIdentBytes({})).toBeUndefined();
  });
});
