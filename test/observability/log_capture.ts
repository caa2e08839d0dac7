import type { DestinationStream } from 'pino';

/** A pino destination keeping every JSON line, parsed, for assertions. */
export class LogCapture implements DestinationStream {
  readonly raw: string[] = [];
  write(line: string): void {
    this.raw.push(line);
  }
  get lines(): Record<string, unknown>[] {
    return this.raw.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
