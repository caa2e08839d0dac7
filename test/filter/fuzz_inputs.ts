import fc from 'fast-check';
import { CORPUS } from './corpus';

/**
 * Hostile filter text: random strings of every kind of character, recorded filters with
 * random edits (quotes, backslashes, comments, semicolons, unicode, NUL), random streams of the
 * language's own tokens (which often parse and reach SQL), and very large inputs.
 */

const NASTY = [
  "'",
  '"',
  '`',
  '\\',
  ';',
  '--',
  '/*',
  '*/',
  '#',
  '(',
  ')',
  '?',
  '??',
  ':1',
  '$1',
  '%',
  '_',
  '\0',
  '\n',
  '\u00e9',
  '\u6f22',
  '\ud83d\ude00',
  '\ud800',
  ' ',
  '.',
  ',',
  '=',
  '!=',
  '<>',
  '0x',
  '1e',
  'NOT',
  'IN',
  'r',
  'b',
  '\\x',
  '\\u',
  '"""',
  "'''",
];

const TOKENS = [
  'id',
  'name',
  'uri',
  'type',
  'type_id',
  'external_id',
  'state',
  'last_known_state',
  'create_time_since_epoch',
  'contexts_a.name',
  'contexts_a.id',
  'contexts_b.type',
  'parent_contexts_a.name',
  'child_contexts_a.id',
  'artifacts_a.state',
  'artifacts_a.uri',
  'executions_a.last_known_state',
  'events_0.type',
  'events_0.artifact_id',
  'events_0.execution_id',
  'properties.p.int_value',
  'custom_properties.p.string_value',
  'custom_properties.`a b`.bool_value',
  'properties.0.double_value',
  'LIVE',
  'RUNNING',
  'INPUT',
  'NULL',
  'TRUE',
  'false',
  'AND',
  'OR',
  'NOT',
  'LIKE',
  'IN',
  'IS',
  'BETWEEN',
  '=',
  '!=',
  '<',
  '>=',
  '(',
  ')',
  ',',
  '1',
  '-1',
  '9223372036854775807',
  '1.5',
  "'a'",
  '"x%"',
  "'it\\'s'",
  "r'\\d'",
  "'\u00e9'",
];

const arbMutation = fc.tuple(
  fc.constantFrom(...CORPUS.map((c) => c.filter)),
  fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 3 }))), {
    minLength: 1,
    maxLength: 4,
  }),
).map(([base, edits]) => {
  let text = base;
  for (const [at, remove, insert] of edits) {
    const i = at % (text.length + 1);
    text = text.slice(0, i) + insert + text.slice(i + remove);
  }
  return text;
});

const arbTokenStream = fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 12 }).map((ts) => ts.join(' '));

const arbValidish = fc
  .tuple(fc.constantFrom(...CORPUS.map((c) => c.filter)), fc.constantFrom(' AND ', ' OR ', ' and not '), fc.constantFrom(...CORPUS.map((c) => c.filter)))
  .map(([a, op, b]) => `(${a})${op}(${b})`);

/** Very large inputs, run once each (they cost milliseconds apiece, too slow for 40,000 runs). */
export const HUGE_FILTERS: readonly string[] = [
  'id = 1 OR '.repeat(3000) + 'id = 2',
  '('.repeat(5000),
  `name = '${'x'.repeat(200_000)}'`,
  `id IN (${Array.from({ length: 20_000 }, (_, i) => i).join(',')})`,
  `id IN (${Array.from({ length: 9_000 }, (_, i) => i).join(',')}) AND name IN (${Array.from({ length: 900 }, (_, i) => `'n${i}'`).join(',')})`,
  Array.from({ length: 900 }, (_, i) => `(id = ${i} AND name != 'n')`).join(' OR '),
  Array.from({ length: 16 }, (_, i) => `contexts_${i}.name = 'x' OR properties.p${i}.int_value = 1`).join(' OR '),
  Array.from({ length: 8 }, (_, i) => `contexts_${i}.type = 'x'`).join(' OR '),
  'NOT '.repeat(70) + 'id = 1',
  '/*'.repeat(10_000),
  "'".repeat(100_001),
  '\\'.repeat(50_000),
  '🙂'.repeat(100_000),
];

export const arbHostileFilter: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 1 },
  { arbitrary: fc.array(fc.constantFrom(...NASTY), { maxLength: 10 }).map((a) => a.join('')), weight: 2 },
  { arbitrary: arbMutation, weight: 5 },
  { arbitrary: arbTokenStream, weight: 5 },
  { arbitrary: arbValidish, weight: 2 },
);
