// The face of authenticate/: what the rest of src/ may import from it. A file outside
// authenticate/ imports from here, never from the folder's other files (the lint's
// boundaries rule and test/architecture/module-map.test.ts check it).
export { DebianKeyringError, obtainDebianKeyrings } from './debian-keyrings.js';
export { parseDmTxt } from './dm-txt.js';
export type { DmPermissions } from './dm-txt.js';
export { KeyringIndex, loadKeyrings } from './openpgp/keyring-index.js';
export type { KeyringSource } from './openpgp/keyring-index.js';
export { checkDscSignature, verifyDscSignature } from './openpgp/verify-dsc-signature.js';
export { checkDmAuthorisation, verifyTagSignature } from './openpgp/verify-tag-signature.js';
export type { SignaturePolicy } from './openpgp/verify-tag-signature.js';
export { MIN_TAG2UPLOAD_KEYRING_VERSION, obtainTag2uploadKeyring } from './tag2upload-keyring.js';
