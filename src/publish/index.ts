// Publishing verdicts others can check (docs/architecture.md §7): attestations, the
// tiled log's formats and proofs, and the note signatures that bind them.
export { attestationVkey, keyidOf, openAttestation, signAttestation, type AttestationKey, type OpenedAttestation } from './attestation.js';
export { formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.js';
export { cosignatureVerifier, cosignatureVkey, cosigner } from './cosignature.js';
export { pae, parseEnvelope, openEnvelope, signEnvelope, type DsseEnvelope } from './dsse.js';
export { ed25519FromPem, generateEd25519, type Ed25519Key } from './ed25519.js';
export {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  nodeHash,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type Hash,
  type SubtreeReader,
} from './merkle.js';
export {
  ed25519NoteSigner,
  ed25519NoteVerifier,
  ed25519Vkey,
  formatVkey,
  NoteError,
  openNote,
  parseVkey,
  signNote,
  signatureLines,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
} from './signed-note.js';
export {
  INTOTO_PAYLOAD_TYPE,
  parseVerdictStatement,
  VERDICT_PREDICATE_TYPE,
  verdictStatement,
  type Statement,
  type VerdictPredicate,
} from './statement.js';
export { appendEntries, EMPTY_EDGE, edgeRoot, tileHashes, type TreeEdge, type WrittenTile } from './tile-builder.js';
export {
  decodeBundle,
  encodeBundle,
  parseTilePath,
  tilePath,
  tileSubtreeReader,
  tileWidthAt,
  type TileCoord,
  type TileFetcher,
} from './tiles.js';
