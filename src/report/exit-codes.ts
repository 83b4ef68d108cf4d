// The exit codes of every command (docs/architecture.md §4): 0 authentic, reproduced or
// equivalent; 1 rejected or mismatch; 2 usage or configuration error;
// 3 unverifiable. Apart from the report types so that the command line can
// start without loading the reason catalogue.
export const EXIT = { ok: 0, failed: 1, usage: 2, unverifiable: 3 } as const;

/** The exit code of a verdict of check-tag, verify or reproduce. */
export function exitCodeFor(verdict: 'authentic' | 'reproduced' | 'equivalent' | 'rejected' | 'mismatch' | 'unverifiable'): number {
  switch (verdict) {
    case 'authentic':
    case 'reproduced':
    case 'equivalent':
      return EXIT.ok;
    case 'rejected':
    case 'mismatch':
      return EXIT.failed;
    case 'unverifiable':
      return EXIT.unverifiable;
  }
}
