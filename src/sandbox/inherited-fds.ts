// Descriptors this process inherited without close-on-exec would pass through
// spawn and bwrap into the sandbox (neither closes unknown descriptors): a
// pipe or socket of whatever started us, writable by the sandboxed command.
// Node opens its own descriptors with O_CLOEXEC, so the ones without it are
// exactly the inherited leaks; the launcher covers each with /dev/null in the
// child (a numbered stdio entry is dup2'ed over it).
import { openSync, readFileSync, readdirSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

let devNull: number | undefined;

/** Inherited descriptors ≥ `from` without close-on-exec, as listed in /proc/self/fdinfo. */
export function leakingFds(from: number): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fdinfo');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (!(fd >= from)) continue;
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1');
    } catch {
      continue; // closed meanwhile (it was the directory listing's own descriptor)
    }
    const flags = /^flags:\s*([0-7]+)/m.exec(info);
    if (flags && (parseInt(flags[1]!, 8) & O_CLOEXEC) === 0) out.push(fd);
  }
  return out.sort((a, b) => a - b);
}

/** A close-on-exec descriptor of /dev/null to dup over leaking ones in the child. */
export function devNullFd(): number {
  devNull ??= openSync('/dev/null', 'r+');
  return devNull;
}
