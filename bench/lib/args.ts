// The benches' command-line options: `--name value` anywhere in argv, read
// the same way by every bench (an absent or non-numeric value falls back).

/** The word after `name` in argv, or undefined when `name` is absent. */
export function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The number after `name` in argv; `fallback` when absent, not a number, or zero. */
export function numberOption(name: string, fallback: number): number {
  return Number(option(name)) || fallback;
}
