import { describe, expect, it } from 'vitest';
import { pktLine, readPkts, type Pkt } from '../../src/fetch/pkt-line.js';
import { FormatError } from '../../src/report/format-error.js';

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield await Promise.resolve(typeof p === 'string' ? Buffer.from(p) : p);
}
async function all(it: AsyncIterable<Pkt>): Promise<Pkt[]> {
  const out: Pkt[] = [];
  for await (const p of it) out.push(p);
  return out;
}

describe('pkt-line', () => {
  it('frames a payload with its own length in hex', () => {
    expect(pktLine('want x\n').toString()).toBe('000bwant x\n');
  });

  it('reads packets split across arbitrary chunk boundaries', async () => {
    const stream = Buffer.concat([pktLine('shallow a\n'), Buffer.from('0000'), pktLine('NAK\n'), Buffer.from('0001'), Buffer.from('0002')]);
    for (let cut = 1; cut < stream.length; cut++) {
      const pkts = await all(readPkts(chunks(stream.subarray(0, cut), stream.subarray(cut))));
      expect(pkts.map((p) => (p.kind === 'data' ? p.data.toString() : p.kind))).toEqual(['shallow a\n', 'flush', 'NAK\n', 'delim', 'end']);
    }
  });

  it('rejects a non-hex length and a stream that ends inside a packet', async () => {
    await expect(all(readPkts(chunks('zzzzhello')))).rejects.toBeInstanceOf(FormatError);
    await expect(all(readPkts(chunks('000ahel')))).rejects.toThrow(/ended inside/);
  });

  it('rejects a packet longer than the protocol allows', async () => {
    await expect(all(readPkts(chunks('fff1')))).rejects.toThrow(/exceeds/);
  });
});
