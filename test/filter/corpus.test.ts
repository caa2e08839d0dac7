import { describe, expect, it } from 'vitest';
import type { NodeKind, Typed } from '../../src/filter/ast';
import { compileFilter } from '../../src/filter';
import { MlmdError, StatusCode } from '../../src/errors';
import { CORPUS } from './corpus';

const KINDS: NodeKind[] = ['artifact', 'execution', 'context'];

function rejection(kind: NodeKind, text: string): string {
  try {
    compileFilter(kind, text);
  } catch (e) {
    expect(e).toBeInstanceOf(MlmdError);
    expect((e as MlmdError).code).toBe(StatusCode.INVALID_ARGUMENT);
    return (e as MlmdError).message;
  }
  throw new Error(`expected ${kind} filter ${JSON.stringify(text)} to be rejected`);
}

describe('every recorded filter parses and validates for its node kinds', () => {
  for (const entry of CORPUS) {
    it(`${entry.source}: ${entry.filter}`, () => {
      for (const kind of entry.kinds) {
        const resolved = compileFilter(kind, entry.filter);
        expect(resolved.condition.type).toBe('bool');
      }
    });
  }
});

describe('semantic validation', () => {
  it.each([
    ['artifact', "id = 'a'", /No matching signature for operator = for argument types: INT64, STRING/],
    ['artifact', 'name = 1', /No matching signature/],
    ['artifact', 'type = 1', /No matching signature/],
    ['artifact', 'uri = 1', /No matching signature/],
    ['artifact', "create_time_since_epoch = 'a'", /No matching signature/],
    ['artifact', 'custom_properties.f.bool_value = 1', /No matching signature.*BOOL, INT64/],
    ['artifact', "id IN (1, 'a')", /No matching signature for operator IN/],
    ['artifact', 'name LIKE 1', /LIKE must be a string literal/],
    ['artifact', 'id LIKE "1"', /No matching signature for operator LIKE/],
    ['artifact', 'name LIKE uri', /LIKE must be a string literal/],
    ['artifact', "id BETWEEN 1 AND 'x'", /No matching signature for operator BETWEEN/],
    ['artifact', 'id = 1 AND name', /No matching signature for operator AND for argument type STRING/],
    ['artifact', 'NOT id', /No matching signature for operator NOT/],
    ['artifact', "'a'", /not a valid boolean expression/],
    ['artifact', 'type_id', /not a valid boolean expression/],
    ['artifact', 'state', /not a valid boolean expression/],
    ['artifact', 'NULL', /not a valid boolean expression/],
    ['artifact', 'foo = 1', /Unrecognized name: foo/],
    ['execution', 'uri = "x"', /Unrecognized name: uri/],
    ['execution', 'state = LIVE', /Unrecognized name: state/],
    ['artifact', 'last_known_state = RUNNING', /Unrecognized name: last_known_state/],
    ['context', 'state IS NULL', /Unrecognized name: state/],
    ['artifact', 'artifacts_c.id = 1', /Unrecognized name: artifacts_c.id/],
    ['execution', 'executions_c.id = 1', /Unrecognized name/],
    ['context', 'contexts_a.id = 1', /Unrecognized name: contexts_a.id/],
    ['context', 'events_0.type = INPUT', /Unrecognized name/],
    ['artifact', 'parent_contexts_a.id = 1', /Unrecognized name/],
    ['artifact', 'events_0.artifact_id = 1', /Field name artifact_id does not exist/],
    ['execution', 'events_0.execution_id = 1', /Field name execution_id does not exist/],
    ['artifact', 'contexts_a.foo = 1', /Field name foo does not exist/],
    ['artifact', 'contexts_a.external_id = "x"', /Field name external_id does not exist/],
    ['artifact', 'contexts_a = 1', /must be followed by a field name/],
    ['artifact', 'contexts = 1', /Unrecognized name: contexts/],
    ['artifact', 'contexts_a.name.x = 1', /Unrecognized name/],
    ['artifact', 'Contexts_a.name = "x"', /Unrecognized name/],
    ['artifact', 'properties = 1', /Unrecognized name: properties/],
    ['artifact', 'properties.x = 1', /must be followed by a value field/],
    ['artifact', 'properties.x.int = 1', /Field name int does not exist/],
    ['artifact', 'properties.x.proto_value = 1', /Field name proto_value does not exist/],
    ['artifact', 'properties.x.int_value.y = 1', /Unrecognized name/],
    ['artifact', 'PROPERTIES.x.int_value = 1', /Unrecognized name/],
    ['artifact', 'state = 1', /Unsupported enum value specified in the query: 1/],
    ['artifact', 'state = RUNNING', /Unsupported enum value specified in the query: RUNNING/],
    ['artifact', 'state = NULL', /Unsupported enum value specified in the query: NULL/],
    ['artifact', 'state IN (LIVE, BOGUS)', /Unsupported enum value specified in the query: BOGUS/],
    ['artifact', 'state <> LIVE', /Unrecognized name: LIVE/],
    ['artifact', 'LIVE = state', /Unrecognized name: LIVE/],
    ['artifact', "state = 'LIVE'", /No matching signature/],
    ['artifact', 'STATE = LIVE', /Unrecognized name: LIVE/],
    ['execution', 'last_known_state = LIVE', /Unsupported enum value specified in the query: LIVE/],
    ['artifact', 'events_0.type = 3', /Unsupported enum value specified in the query: 3/],
    ['artifact', 'events_0.type = LIVE', /Unsupported enum value/],
    ['context', 'artifacts_a.state = RUNNING', /Unsupported enum value/],
    ['context', 'executions_a.last_known_state = LIVE', /Unsupported enum value/],
  ] as [NodeKind, string, RegExp][])('%s: %s', (kind, text, message) => {
    expect(rejection(kind, text)).toMatch(message);
  });

  it('accepts the forms upstream type-checks, on every kind', () => {
    const accepted = [
      'TRUE',
      'id = type_id',
      'id = 1.5',
      'NOT (id = 1) = FALSE',
      'name = NULL',
      'NULL IS NULL',
      "name IN ('a', NULL)",
      'ID = 1',
      'Name IS NULL',
      'custom_properties.flag.bool_value',
      'NOT custom_properties.flag.bool_value OR properties.p.int_value > 1',
      'properties.0.int_value = 1 OR properties.p.string_value = "1"',
      'custom_properties.`0 b`.string_value LIKE "%"',
      '`name` = "x"',
      'create_time_since_epoch BETWEEN 1 AND 2',
    ];
    for (const kind of KINDS) for (const text of accepted) expect(compileFilter(kind, text).condition.type).toBe('bool');
  });

  it('accepts the deviations documented as a superset', () => {
    expect(compileFilter('artifact', 'state IN (ABANDONED, REFERENCE)').condition.type).toBe('bool');
    expect(compileFilter('artifact', 'events_0.type = PENDING_OUTPUT').condition.type).toBe('bool');
    expect(compileFilter('context', 'artifacts_a.state != LIVE').condition.type).toBe('bool');
    expect(compileFilter('context', 'executions_a.last_known_state NOT IN (NEW)').condition.type).toBe('bool');
    expect(compileFilter('context', 'parent_contexts_a.create_time_since_epoch > 0').condition.type).toBe('bool');
    expect(compileFilter('context', "artifacts_a.external_id = 'x'").condition.type).toBe('bool');
    expect(compileFilter('context', "executions_a.external_id = 'x'").condition.type).toBe('bool');
  });

  it('rewrites enum names to numbers, and != / NOT IN to include unset values', () => {
    const eq = compileFilter('artifact', 'state = LIVE').condition;
    expect(eq).toMatchObject({ kind: 'compare', op: '=', right: { kind: 'literal', value: { type: 'int', value: 2n } } });
    const ne = compileFilter('artifact', 'state != LIVE').condition;
    expect(ne).toMatchObject({ kind: 'or', operands: [{ kind: 'compare', op: '!=' }, { kind: 'isNull', negated: false }] });
    const notIn = compileFilter('execution', 'last_known_state NOT IN (FAILED, CANCELED)').condition;
    expect(notIn).toMatchObject({ kind: 'or', operands: [{ kind: 'in', negated: true }, { kind: 'isNull' }] });
    expect((notIn as { operands: Typed[] }).operands[0]).toMatchObject({
      list: [{ value: { value: 4n } }, { value: { value: 6n } }],
    });
    // A purely numeric list is not an enum rewrite: plain SQL NOT IN (unset never matches).
    expect(compileFilter('artifact', 'state NOT IN (2, 3)').condition).toMatchObject({ kind: 'in', negated: true });
    expect(compileFilter('artifact', 'state > 1').condition).toMatchObject({ kind: 'compare', op: '>' });
  });

  it('makes one join per distinct alias or property, shared by all its mentions', () => {
    const f = compileFilter(
      'artifact',
      "contexts_a.name = 'x' AND contexts_a.type = 'y' OR contexts_b.id = 1 OR properties.p.int_value = 1 OR properties.p.string_value = '1' OR custom_properties.p.int_value = 1 OR type = 't'",
    );
    expect(f.joins).toEqual([
      { kind: 'neighbour', prefix: 'contexts', alias: 'contexts_a' },
      { kind: 'neighbour', prefix: 'contexts', alias: 'contexts_b' },
      { kind: 'property', custom: false, name: 'p' },
      { kind: 'property', custom: true, name: 'p' },
      { kind: 'nodeType' },
    ]);
  });

  it('refuses more distinct joins than every backend can run', () => {
    const text = Array.from({ length: 17 }, (_, i) => `contexts_${i}.id = 1`).join(' OR ');
    expect(rejection('artifact', text)).toMatch(/more than 16 distinct/);
  });
});
