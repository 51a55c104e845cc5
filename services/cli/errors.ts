/**
 * An error meant for the person at the terminal: `message` says what went wrong and what
 * to do; `details` are extra lines (field paths from the API, for instance). main.ts
 * prints it to stderr and exits with `exitCode`; any other error is a bug and shows a stack.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly details: readonly string[] = [],
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function isCliError(error: unknown): error is CliError {
  return error instanceof CliError;
}
