// git check-ref-format's rules for the part after refs/tags/: a name that git
// itself would refuse is never looked up (a name like "../../config" would
// otherwise walk out of a local repository's refs directory).

export function refNameProblem(name: string): string | undefined {
  if (name === '' || name.length > 1024) return 'empty or over 1024 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'contains a space, control character or one of ~^:?*[\\';
  if (name.includes('..')) return 'contains ".."';
  if (name.includes('@{')) return 'contains "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'has an empty path component';
  if (name.endsWith('.')) return 'ends with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return 'has a component starting with "."';
    if (part.endsWith('.lock')) return 'has a component ending with ".lock"';
  }
  return undefined;
}
