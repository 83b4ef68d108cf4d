import { describe, expect, it } from 'vitest';
import { parseVerifiersFile, renderConsensus, type ConsensusReport } from '../../src/publish/consensus.js';
import { UsageError } from '../../src/report/usage-error.js';
import { cosignatureVkey } from '../../src/publish/cosignature.js';
import { generateEd25519 } from '../../src/publish/ed25519.js';
import { ed25519Vkey } from '../../src/publish/signed-note.js';

const logVkey = ed25519Vkey('a.example/log', generateEd25519().key);
const witnessVkey = cosignatureVkey('w.example/w1', generateEd25519().key);

describe('the verifiers file', () => {
  it('reads NAME BASE_URL VKEY [WITNESS_VKEY…] lines, with comments and blank lines', () => {
    const list = parseVerifiersFile(
      `# the network\n\nalpha https://a.example ${logVkey} ${witnessVkey}  # cosigned\nbeta\thttp://127.0.0.1:1 ${logVkey}\n`,
    );
    expect(list).toEqual([
      { name: 'alpha', baseUrl: 'https://a.example', vkey: logVkey, witnessVkeys: [witnessVkey] },
      { name: 'beta', baseUrl: 'http://127.0.0.1:1', vkey: logVkey, witnessVkeys: [] },
    ]);
  });

  it('names the line of a bad entry', () => {
    expect(() => parseVerifiersFile('# nothing\n')).toThrow(UsageError);
    expect(() => parseVerifiersFile(`alpha https://a.example\n`, 'v')).toThrow(/^v:1: expected NAME BASE_URL VKEY/);
    expect(() => parseVerifiersFile(`\nalpha ftp://a ${logVkey}\n`, 'v')).toThrow(/^v:2: .* not an http/);
    expect(() => parseVerifiersFile(`alpha https://a ${witnessVkey}\n`, 'v')).toThrow(/a log key has type 0x01/);
    expect(() => parseVerifiersFile(`alpha https://a ${logVkey} ${logVkey}\n`, 'v')).toThrow(/a witness key has type 0x04/);
    expect(() => parseVerifiersFile(`alpha https://a ${logVkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')}\n`, 'v')).toThrow(/hash/);
  });
});

describe('the human output', () => {
  it('is a result line, then one line per verifier, then any evidence', () => {
    const report: ConsensusReport = {
      schema: 't2u-verify/consensus/v1',
      result: 'insufficient',
      dscSha256: 'a'.repeat(64),
      threshold: 2,
      agreeing: 1,
      verifiers: [
        { name: 'alpha', status: 'agrees', verdict: 'reproduced', why: 'reproduced, leaf 3 of 9' },
        {
          name: 'gamma',
          status: 'not-counted',
          code: 'LOG_INCONSISTENT',
          why: 'rewritten',
          evidence: { previous: 'old\n', current: 'new\n' },
        },
      ],
    };
    expect(renderConsensus(report, 'x.dsc')).toBe(
      'INSUFFICIENT: 1 of the 2 verifiers required reproduced x.dsc\n' +
        'alpha  agrees       reproduced, leaf 3 of 9\n' +
        'gamma  not counted  LOG_INCONSISTENT: rewritten\n' +
        '\ngamma: checkpoint seen before:\nold\ngamma: checkpoint served now:\nnew\n',
    );
  });
});
