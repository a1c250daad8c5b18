// Exit codes of `coinpit-desk` (issue 4): 0 done, 1 refused by review, 2 bad input (arguments, files, keys,
// passphrases — anything that stops the command before a review could say yes or no).
export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_BAD_INPUT = 2;

/** A failure the user can fix; the message is printed as is (it never carries a secret). */
export class CliError extends Error {
  readonly exitCode: number;
  /** print the command's usage after the message */
  readonly showUsage: boolean;
  constructor(message: string, exitCode: number = EXIT_BAD_INPUT, showUsage = false) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.showUsage = showUsage;
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_BAD_INPUT, true);
    this.name = 'UsageError';
  }
}

/** The message of anything thrown, for printing. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
