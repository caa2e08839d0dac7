import fc from 'fast-check';
import type { NodeKind } from '../../src/filter/ast';
import type { Graph, GraphNode, PropValue } from './evaluator';

/**
 * Random small graphs and random VALID filters for the differential test. Values come from
 * tiny domains so that equalities, LIKE patterns and joins actually hit; strings are ASCII
 * with case, `_`, `%` and trailing-space variants, so backend string semantics are exercised.
 */

const STRINGS = ['a', 'A', 'b', 'ab', 'aB', 'a_b', 'a%', '', 'a ', 'x'] as const;
const PROPERTY_NAMES = ['p', 'q', 'my prop'] as const;
const TYPE_IDS: Record<NodeKind, number[]> = { artifact: [101, 102, 201], execution: [201, 202], context: [301, 302] };

export const RANDOM_GRAPH_TYPES: Graph['types'] = [
  { id: 101, name: 'a', typeKind: 1 },
  { id: 102, name: 'B', typeKind: 1 },
  { id: 201, name: 'a', typeKind: 0 },
  { id: 202, name: 'b', typeKind: 0 },
  { id: 301, name: 'A', typeKind: 2 },
  { id: 302, name: 'b', typeKind: 2 },
];

const arbString = fc.constantFrom(...STRINGS);
const arbNullableString = fc.option(arbString, { nil: null, freq: 4 });
const arbPropValue: fc.Arbitrary<PropValue> = fc.oneof(
  fc.integer({ min: -2, max: 3 }).map((v) => ({ int: BigInt(v) })),
  fc.constantFrom(-1.5, 0, 0.5, 2).map((v) => ({ double: v })),
  arbString.map((v) => ({ string: v })),
  fc.boolean().map((v) => ({ bool: v })),
);
const arbProperties = fc.dictionary(fc.constantFrom(...PROPERTY_NAMES), arbPropValue, { maxKeys: 3 });

function arbNodes(kind: NodeKind, max: number): fc.Arbitrary<GraphNode[]> {
  return fc
    .array(
      fc.record({
        typeId: fc.constantFrom(...TYPE_IDS[kind]),
        name: kind === 'context' ? arbString : arbNullableString,
        externalId: arbNullableString,
        createTime: fc.integer({ min: 0, max: 3 }),
        lastUpdateTime: fc.integer({ min: 0, max: 3 }),
        uri: arbString,
        state: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
        properties: arbProperties,
        customProperties: arbProperties,
      }),
      { maxLength: max },
    )
    .map((rows) => {
      // (type_id, name) is unique, case- and trailing-space-insensitively on MySQL: clear repeats.
      const seen = new Set<string>();
      return rows.map((r, i) => {
        let name: string | null = kind === 'context' ? `${r.name}${i}` : r.name;
        const key = `${r.typeId}/${name?.toUpperCase().trimEnd()}`;
        if (name !== null && seen.has(key)) name = null;
        seen.add(key);
        const node: GraphNode = {
          id: i + 1,
          typeId: r.typeId,
          name,
          externalId: r.externalId === null ? null : `${r.externalId}${i}`,
          createTime: r.createTime,
          lastUpdateTime: r.lastUpdateTime,
          properties: r.properties,
          customProperties: r.customProperties,
        };
        if (kind === 'artifact') Object.assign(node, { uri: r.uri, state: r.state });
        if (kind === 'execution') node.lastKnownState = r.state;
        return node;
      });
    });
}

const pairs = (maxA: number, maxB: number, max: number) =>
  fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: maxA }), fc.integer({ min: 1, max: maxB })), {
    maxLength: max,
    selector: ([a, b]) => `${a}/${b}`,
  });

export const arbGraph: fc.Arbitrary<Graph> = fc
  .tuple(arbNodes('artifact', 5), arbNodes('execution', 4), arbNodes('context', 4))
  .chain(([artifacts, executions, contexts]) => {
    const na = Math.max(artifacts.length, 1);
    const ne = Math.max(executions.length, 1);
    const nc = Math.max(contexts.length, 1);
    return fc
      .record({
        attributions: pairs(nc, na, 8),
        associations: pairs(nc, ne, 8),
        parentContexts: pairs(nc, nc, 5),
        events: fc.uniqueArray(
          fc.record({
            artifactId: fc.integer({ min: 1, max: na }),
            executionId: fc.integer({ min: 1, max: ne }),
            type: fc.integer({ min: 1, max: 7 }),
            millisecondsSinceEpoch: fc.integer({ min: 0, max: 3 }),
          }),
          { maxLength: 8, selector: (e) => `${e.artifactId}/${e.executionId}/${e.type}` },
        ),
      })
      .map((edges) => ({
        types: RANDOM_GRAPH_TYPES,
        artifacts,
        executions,
        contexts,
        attributions: edges.attributions
          .filter(([c, a]) => c <= contexts.length && a <= artifacts.length)
          .map(([contextId, artifactId]) => ({ contextId, artifactId })),
        associations: edges.associations
          .filter(([c, e]) => c <= contexts.length && e <= executions.length)
          .map(([contextId, executionId]) => ({ contextId, executionId })),
        parentContexts: edges.parentContexts
          .filter(([c, p]) => c !== p && c <= contexts.length && p <= contexts.length)
          .map(([childId, parentId]) => ({ childId, parentId })),
        events: edges.events.filter((e) => e.artifactId <= artifacts.length && e.executionId <= executions.length),
      }));
  });

// ----- filters ------------------------------------------------------------------------------

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const intLit = fc.integer({ min: -1, max: 4 }).map(String);
const numLit = fc.oneof(intLit, fc.constantFrom('0.5', '1.0', '-1.5', '2e0'));
const strLit = arbString.map(quote);
const likeLit = fc.constantFrom('a%', '%b', '_', 'A%', '%', 'a\\_b', 'a\\%', '%a%', '', '_ ').map(quote);
const cmp = fc.constantFrom('=', '!=', '<>', '<', '<=', '>', '>=');

function intPredicate(column: string, ops: fc.Arbitrary<string> = cmp): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(ops, numLit).map(([op, v]) => `${column} ${op} ${v}`),
    fc.array(intLit, { minLength: 1, maxLength: 3 }).chain((vs) => fc.constantFrom(`${column} IN (${vs})`, `${column} NOT IN (${vs})`)),
    fc.tuple(intLit, intLit).map(([a, b]) => `${column} BETWEEN ${a} AND ${b}`),
    fc.constantFrom(`${column} IS NULL`, `${column} IS NOT NULL`),
  );
}

function stringPredicate(column: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(cmp, strLit).map(([op, v]) => `${column} ${op} ${v}`),
    fc.tuple(fc.constantFrom('LIKE', 'NOT LIKE'), likeLit).map(([op, v]) => `${column} ${op} ${v}`),
    fc.array(strLit, { minLength: 1, maxLength: 3 }).map((vs) => `${column} IN (${vs.join(', ')})`),
    fc.constantFrom(`${column} IS NULL`, `${column} IS NOT NULL`),
  );
}

const ENUMS = {
  state: ['UNKNOWN', 'PENDING', 'LIVE', 'MARKED_FOR_DELETION', 'DELETED', 'ABANDONED', 'REFERENCE'],
  last_known_state: ['UNKNOWN', 'NEW', 'RUNNING', 'COMPLETE', 'FAILED', 'CACHED', 'CANCELED'],
  type: ['DECLARED_OUTPUT', 'DECLARED_INPUT', 'INPUT', 'OUTPUT', 'INTERNAL_INPUT', 'INTERNAL_OUTPUT', 'PENDING_OUTPUT'],
};

function enumPredicate(column: string, names: string[]): fc.Arbitrary<string> {
  const name = fc.constantFrom(...names);
  return fc.oneof(
    fc.tuple(fc.constantFrom('=', '!='), name).map(([op, n]) => `${column} ${op} ${n}`),
    fc.array(name, { minLength: 1, maxLength: 3 }).chain((ns) => fc.constantFrom(`${column} IN (${ns.join(', ')})`, `${column} NOT IN (${ns.join(',')})`)),
    // A number after `=` / `!=` is refused on enum columns (upstream: "Unsupported enum value").
    intPredicate(column, fc.constantFrom('<>', '<', '<=', '>', '>=')),
  );
}

function propertyPredicate(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom('properties', 'custom_properties'), fc.constantFrom('p', 'q', '`my prop`'))
    .chain(([prefix, name]) => {
      const col = (field: string) => `${prefix}.${name}.${field}`;
      return fc.oneof(
        intPredicate(col('int_value')),
        intPredicate(col('double_value')),
        stringPredicate(col('string_value')),
        fc.constantFrom(col('bool_value'), `${col('bool_value')} = TRUE`, `${col('bool_value')} != false`, `${col('bool_value')} IS NULL`),
      );
    });
}

function nodeLikeFields(alias: string, fields: { ints: string[]; strings: string[]; enums?: [string, string[]][] }) {
  return fc.oneof(
    ...fields.ints.map((f) => intPredicate(`${alias}.${f}`)),
    ...fields.strings.map((f) => stringPredicate(`${alias}.${f}`)),
    ...(fields.enums ?? []).map(([f, names]) => enumPredicate(`${alias}.${f}`, names)),
  );
}

const TIMES = ['create_time_since_epoch', 'last_update_time_since_epoch'];

function atom(kind: NodeKind): fc.Arbitrary<string> {
  const own = [
    intPredicate('id'),
    intPredicate('type_id'),
    ...TIMES.map((t) => intPredicate(t)),
    stringPredicate('name'),
    stringPredicate('external_id'),
    stringPredicate('type'),
    propertyPredicate(),
  ];
  const alias = (prefix: string) => fc.constantFrom('a', 'b').map((s) => `${prefix}_${s}`);
  if (kind === 'artifact') own.push(stringPredicate('uri'), enumPredicate('state', ENUMS.state));
  if (kind === 'execution') own.push(enumPredicate('last_known_state', ENUMS.last_known_state));
  const neighbours: fc.Arbitrary<string>[] = [];
  if (kind !== 'context') {
    neighbours.push(alias('contexts').chain((a) => nodeLikeFields(a, { ints: ['id', ...TIMES], strings: ['name', 'type'] })));
    const other = kind === 'artifact' ? 'execution_id' : 'artifact_id';
    neighbours.push(
      alias('events').chain((a) =>
        nodeLikeFields(a, { ints: ['milliseconds_since_epoch', other], strings: [], enums: [['type', ENUMS.type]] }),
      ),
    );
  } else {
    for (const prefix of ['parent_contexts', 'child_contexts']) {
      neighbours.push(alias(prefix).chain((a) => nodeLikeFields(a, { ints: ['id', ...TIMES], strings: ['name', 'type'] })));
    }
    neighbours.push(
      alias('artifacts').chain((a) =>
        nodeLikeFields(a, { ints: ['id', ...TIMES], strings: ['name', 'type', 'uri', 'external_id'], enums: [['state', ENUMS.state]] }),
      ),
    );
    neighbours.push(
      alias('executions').chain((a) =>
        nodeLikeFields(a, {
          ints: ['id', ...TIMES],
          strings: ['name', 'type', 'external_id'],
          enums: [['last_known_state', ENUMS.last_known_state]],
        }),
      ),
    );
  }
  // Comparisons between two relations keep both in the multiplying join.
  const crossRelation =
    kind === 'context'
      ? fc.constantFrom(
          'parent_contexts_a.id = child_contexts_b.id',
          'artifacts_a.create_time_since_epoch < executions_a.create_time_since_epoch',
          'properties.p.int_value = custom_properties.p.int_value',
          'artifacts_a.name = name',
        )
      : fc.constantFrom(
          'contexts_a.id != contexts_b.id',
          `events_a.${kind === 'artifact' ? 'execution_id' : 'artifact_id'} = id`,
          'properties.p.int_value = custom_properties.q.double_value',
          'contexts_a.name = type',
        );
  return fc.oneof(
    { arbitrary: fc.oneof(...own), weight: 3 },
    { arbitrary: fc.oneof(...neighbours), weight: 2 },
    { arbitrary: crossRelation, weight: 1 },
  );
}

export function arbFilter(kind: NodeKind): fc.Arbitrary<string> {
  const { expr } = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { arbitrary: atom(kind), weight: 4 },
      { arbitrary: fc.tuple(tie('expr'), fc.constantFrom('AND', 'OR', 'and', 'Or'), tie('expr')).map(([a, op, b]) => `(${a}) ${op} (${b})`), weight: 2 },
      { arbitrary: tie('expr').map((a) => `NOT (${a})`), weight: 1 },
    ),
  }));
  return expr;
}
