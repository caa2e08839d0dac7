import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeKind } from '../../src/filter/ast';
import { compileFilter } from '../../src/filter';
import { MlmdError, StatusCode } from '../../src/errors';
import { arbHostileFilter, HUGE_FILTERS } from './fuzz_inputs';

const KINDS: NodeKind[] = ['artifact', 'execution', 'context'];

/** Compiles for one kind; anything other than success or INVALID_ARGUMENT fails the property. */
function outcome(kind: NodeKind, text: string): 'ok' | 'invalid' {
  try {
    compileFilter(kind, text);
    return 'ok';
  } catch (e) {
    if (e instanceof MlmdError && e.code === StatusCode.INVALID_ARGUMENT && e.message.startsWith('Invalid `filter_query`: ')) {
      return 'invalid';
    }
    throw e;
  }
}

describe('filter compiler under hostile input', () => {
  it('only ever compiles or says INVALID_ARGUMENT (40,000 inputs)', () => {
    const seen = { ok: 0, invalid: 0 };
    fc.assert(
      fc.property(arbHostileFilter, (text) => {
        for (const kind of KINDS) seen[outcome(kind, text)]++;
      }),
      { numRuns: 40_000 },
    );
    // Both outcomes must be common, or the generator is not probing the grammar.
    expect(seen.ok).toBeGreaterThan(1000);
    expect(seen.invalid).toBeGreaterThan(1000);
  });

  it('answers very large inputs with a result or INVALID_ARGUMENT, quickly', () => {
    for (const text of HUGE_FILTERS) {
      for (const kind of KINDS) {
        const started = performance.now();
        outcome(kind, text);
        expect(performance.now() - started).toBeLessThan(1000);
      }
    }
  });

  it('is deterministic: the same text gives the same outcome and message', () => {
    fc.assert(
      fc.property(arbHostileFilter, fc.constantFrom(...KINDS), (text, kind) => {
        const once = () => {
          try {
            return JSON.stringify(compileFilter(kind, text), (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
          } catch (e) {
            return (e as Error).message;
          }
        };
        expect(once()).toBe(once());
      }),
      { numRuns: 2000 },
    );
  });
});
