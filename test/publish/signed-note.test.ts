import { describe, expect, it } from 'vitest';
import { formatCheckpoint, parseCheckpoint } from '../../src/publish/checkpoint.js';
import { cosignatureVerifier, cosignatureVkey, cosigner } from '../../src/publish/cosignature.js';
import { generateEd25519 } from '../../src/publish/ed25519.js';
import { EMPTY_ROOT } from '../../src/publish/merkle.js';
import {
  ed25519NoteSigner,
  ed25519NoteVerifier,
  ed25519Vkey,
  NoteError,
  openNote,
  parseVkey,
  signNote,
} from '../../src/publish/signed-note.js';
import { FormatError } from '../../src/report/format-error.js';

// golang.org/x/mod/sumdb/note's documented example key and note.
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_NOTE =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n" +
  '\n' +
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';

describe('signed notes', () => {
  it("opens Go's documented example note with its vkey", () => {
    const note = openNote(PETER_NOTE, [ed25519NoteVerifier(PETER_VKEY)]);
    expect(note.text).toMatch(/^If you think/);
    expect(note.verified).toHaveLength(1);
  });

  it('refuses a changed text, an unknown key, and malformed notes', () => {
    const v = ed25519NoteVerifier(PETER_VKEY);
    expect(() => openNote(PETER_NOTE.replace('answer', 'answers'), [v])).toThrow(
      expect.objectContaining({ kind: 'bad-signature' }) as Error,
    );
    const other = ed25519NoteVerifier(ed25519Vkey('PeterNeumann', generateEd25519().key));
    expect(() => openNote(PETER_NOTE, [other])).toThrow(expect.objectContaining({ kind: 'unverified' }) as Error);
    for (const bad of [
      PETER_NOTE.replace('\n\n', '\n'),
      PETER_NOTE.slice(0, -1),
      PETER_NOTE.replace('is.', 'is.\u0007'),
      PETER_NOTE.replace('— ', '- '),
    ]) {
      expect(() => openNote(bad, [v])).toThrow(NoteError);
    }
    expect(() => openNote(Buffer.concat([Buffer.from(PETER_NOTE), Buffer.from([0xff])]), [v])).toThrow(/UTF-8/);
  });

  it('signs notes that open with our vkey and keeps other signatures apart', () => {
    const key = generateEd25519().key;
    const signed = signNote('hello\n', [ed25519NoteSigner('a.example/log', key)], ['— other.example AAAAAAAAAAAAAAAAAAAA\n']);
    const note = openNote(signed, [ed25519NoteVerifier(ed25519Vkey('a.example/log', key))]);
    expect(note.verified.map((s) => s.name)).toEqual(['a.example/log']);
    expect(note.unverified.map((s) => s.name)).toEqual(['other.example']);
  });

  it('checks vkeys: name, hash and key', () => {
    expect(parseVkey(PETER_VKEY).name).toBe('PeterNeumann');
    expect(() => parseVkey(PETER_VKEY.replace('c74f20a3', 'c74f20a4'))).toThrow(/hash/);
    expect(() => parseVkey('Peter+Neumann')).toThrow(NoteError);
    expect(() => ed25519Vkey('bad name', generateEd25519().key)).toThrow(NoteError);
  });
});

describe('checkpoints', () => {
  it('formats and parses origin, size, root and extensions', () => {
    const cp = { origin: 'example.com/log', size: 20852163, root: EMPTY_ROOT, extensions: ['ext one'] };
    const text = formatCheckpoint(cp);
    expect(text).toBe('example.com/log\n20852163\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\n');
    expect(parseCheckpoint(text)).toEqual(cp);
  });

  it('refuses leading zeroes, short roots and missing lines', () => {
    for (const bad of [
      'o\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n',
      'o\n1\nAAAA\n',
      'o\n1\n',
      '\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n',
      'o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
    ]) {
      expect(() => parseCheckpoint(bad), bad).toThrow(FormatError);
    }
  });
});

describe('cosignatures', () => {
  it('cosigns a checkpoint with a timestamp that a cosignature/v1 vkey checks', () => {
    const witness = generateEd25519().key;
    const text = formatCheckpoint({ origin: 'example.com/log', size: 3, root: EMPTY_ROOT, extensions: [] });
    const signed = signNote(text, [cosigner('witness.example/w1', witness, () => 1679315147)]);
    const vkey = cosignatureVkey('witness.example/w1', witness);
    expect(parseVkey(vkey).type).toBe(4);
    const note = openNote(signed, [cosignatureVerifier(vkey)]);
    expect(note.verified).toHaveLength(1);
    const sig = Buffer.from(note.verified[0]?.base64 ?? '', 'base64');
    expect(sig.length).toBe(4 + 8 + 64);
    expect(sig.readBigUInt64BE(4)).toBe(1679315147n);
    // A cosignature is not a plain note signature: the 0x01 key of the same name and key does not match its key hash.
    expect(() => openNote(signed, [ed25519NoteVerifier(ed25519Vkey('witness.example/w1', witness))])).toThrow(
      expect.objectContaining({ kind: 'unverified' }) as Error,
    );
    const tampered = `${text.replace('\n3\n', '\n4\n')}\n` + signed.slice(signed.indexOf('\n\n') + 2);
    expect(() => openNote(tampered, [cosignatureVerifier(vkey)])).toThrow(expect.objectContaining({ kind: 'bad-signature' }) as Error);
  });
});
