// The one rule for a file name that comes from outside (a .dsc's Files and
// Checksums-* lines, an upload URL, an archive index entry, a command-line
// path's last component) before it names a file the verifier writes or reads:
// Dpkg::Checksums' file-name pattern. With no "/" and an alphanumeric first
// character, such a name can never be or contain the path component "..", so
// the file stays in the directory it is joined to. A ".." inside a name is
// legitimate (sid carries weechat-matrix_0.3.0-3.4..dsc, version 0.3.0-3.4.).
import { join, resolve } from 'node:path';
import { FormatError } from '../report/format-error.js';

/** Dpkg::Checksums' file-name pattern. */
const DPKG_FILE_NAME = /^[0-9a-zA-Z][-+:.,=0-9a-zA-Z_~]+$/;

/** Throws a FormatError unless `name` is a plain file name dpkg would accept. */
export function checkFileName(name: string): string {
  if (!DPKG_FILE_NAME.test(name))
    throw new FormatError(
      'file-name',
      `file name ${JSON.stringify(name.slice(0, 120))} has characters dpkg does not allow in a source package`,
    );
  return name;
}

/** Whether `name` passes checkFileName. */
export function isPlainFileName(name: string): boolean {
  return DPKG_FILE_NAME.test(name);
}

/** The path of the file `name` in `dir`, after checkFileName; every outside name the verifier writes goes through here. */
export function fileInside(dir: string, name: string): string {
  const path = join(dir, checkFileName(name));
  // Belt and braces: the checked name has no separator, so the parent is `dir` itself.
  if (resolve(path, '..') !== resolve(dir))
    throw new FormatError('file-name', `file name ${JSON.stringify(name.slice(0, 120))} leaves its directory`);
  return path;
}
