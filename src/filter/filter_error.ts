import { invalidArgument, type MlmdError } from '../errors';
import type { Position } from './ast';

/**
 * Every problem with a filter is the caller's fault, so it is INVALID_ARGUMENT; the message
 * starts like upstream's ("Invalid `filter_query`") and names where in the text it happened.
 */
export function filterError(message: string, pos?: Position): MlmdError {
  const where = pos ? ` at line ${pos.line}, column ${pos.column} (offset ${pos.offset})` : '';
  return invalidArgument(`Invalid \`filter_query\`: ${message}${where}`);
}

/** A short, printable rendering of user text for error messages. */
export function quoteForMessage(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
