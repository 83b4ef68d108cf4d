// The user's mistake: a bad argument, a file they named that is missing or
// unreadable, a configuration that does not validate. Never a verdict: the CLI
// prints the message on stderr and exits with code 2 (docs/architecture.md §4),
// the service answers 400 or, where a job is already under way, records why
// the job could not be judged.
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}
