// git's rules for reference names (`git check-ref-format`, refs.c
// check_refname_format), which the tag2upload service applies to the
// upstream tag before fetching it (dgit-repos-server 12.16 runs
// `git check-ref-format refs/tags/TAG`; tag2upload-fetch-inputs in dgit ≥ 15
// does the same for every tag it fetches).

/** Why `name` (a full ref name such as "refs/tags/upstream/1.0") is not a valid ref name, or undefined. */
export function refNameProblem(name: string): string | undefined {
  if (name === '@') return 'is "@"';
  if (name.endsWith('.')) return 'ends with "."';
  if (name.includes('@{')) return 'contains "@{"';
  if (name.includes('..')) return 'contains ".."';
  for (const ch of name) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) return 'contains a control character';
    if (' ~^:?*[\\'.includes(ch)) return `contains "${ch}"`;
  }
  const components = name.split('/');
  if (components.length < 2) return 'has only one component';
  for (const component of components) {
    if (component === '') return 'has an empty component (leading, trailing or double "/")';
    if (component.startsWith('.')) return 'has a component starting with "."';
    if (component.endsWith('.lock')) return 'has a component ending with ".lock"';
  }
  return undefined;
}
