/**
 * A bad flag, config file or combination of them. main() prints the message as ONE line on
 * stderr and exits with EXIT_USAGE, never with a stack trace: the operator needs to know what
 * to change, not where in our code it was noticed.
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Exit status for usage errors (as with most command-line tools, and distinct from 1). */
export const EXIT_USAGE = 2;
