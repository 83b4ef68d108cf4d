// Asking witnesses to cosign a new checkpoint (c2sp.org/tlog-witness): each is
// sent the checkpoint with a consistency proof from the size it last
// cosigned; a 409 tells that size, and the request is made again once from
// it. Only cosignatures that verify with the witness's configured vkey are
// kept.
import { cosignatureVerifier } from './cosignature.js';
import type { Hash } from './merkle.js';
import { openNote } from './signed-note.js';
import { trimEnd } from '../text/scan.js';

export interface WitnessEndpoint {
  readonly url: string;
  readonly vkey: string;
}

const TIMEOUT_MS = 10_000;
const known = new Map<string, number>();

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/plain' },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  return { status: res.status, text: (await res.text()).slice(0, 65536) };
}

export async function requestCosignatures(
  witnesses: readonly WitnessEndpoint[],
  note: string,
  previousSize: number,
  prove: (from: number, to: number) => Promise<Hash[]>,
): Promise<string[]> {
  const text = note.slice(0, note.indexOf('\n\n') + 1);
  const size = Number(text.split('\n')[1]);
  const results = await Promise.all(
    witnesses.map(async (w) => {
      const endpoint = `${trimEnd(w.url, '/')}/add-checkpoint`;
      const verifier = cosignatureVerifier(w.vkey);
      let old = known.get(endpoint) ?? previousSize;
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          if (old > size) old = 0;
          const proof = old === 0 || old === size ? [] : await prove(old, size);
          const res = await post(endpoint, `old ${old}\n${proof.map((h) => `${h.toString('base64')}\n`).join('')}\n${note}`);
          if (res.status === 409 && /^[0-9]+\n$/.test(res.text)) {
            old = Number(res.text.trim());
            continue;
          }
          if (res.status !== 200) return [];
          const lines = res.text
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => `${l}\n`);
          known.set(endpoint, size);
          return lines.filter((line) => {
            try {
              return openNote(`${text}\n${line}`, [verifier]).verified.length === 1;
            } catch {
              return false;
            }
          });
        } catch {
          return [];
        }
      }
      return [];
    }),
  );
  return results.flat();
}
