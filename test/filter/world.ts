import type { Dialect } from '../../src/database/config';
import type { Graph, GraphNode, PropValue } from './evaluator';

/**
 * A small hand-made metadata graph in which every recorded filter (corpus.ts) has both
 * matching and non-matching nodes. Ids are fixed so expectations can name them.
 */
const node = (
  id: number,
  typeId: number,
  name: string | null,
  extra: Partial<GraphNode> = {},
): GraphNode => ({
  id,
  typeId,
  name,
  externalId: null,
  createTime: id * 10,
  lastUpdateTime: id * 10 + 1,
  properties: {},
  customProperties: {},
  ...extra,
});
const int = (v: number | bigint): PropValue => ({ int: BigInt(v) });
const dbl = (v: number): PropValue => ({ double: v });
const str = (v: string): PropValue => ({ string: v });
const bool = (v: boolean): PropValue => ({ bool: v });

export const WORLD: Graph = {
  types: [
    { id: 101, name: 'Model', typeKind: 1 },
    { id: 102, name: 'Examples', typeKind: 1 },
    { id: 103, name: 'kf.ModelArtifact', typeKind: 1 },
    { id: 104, name: 'my_type_name', typeKind: 1 },
    { id: 201, name: 'Trainer', typeKind: 0 },
    { id: 202, name: 'my_type_name', typeKind: 0 },
    { id: 301, name: 'RunContext', typeKind: 2 },
    { id: 302, name: 'node', typeKind: 2 },
    { id: 303, name: 'pipeline', typeKind: 2 },
    { id: 304, name: 'my_type_name', typeKind: 2 },
  ],
  artifacts: [
    node(1, 101, 'x', {
      uri: 'gs://bucket/a',
      state: 2,
      externalId: 'x',
      createTime: 0,
      properties: { accuracy: dbl(0.97), runtime: str('x') },
      customProperties: { p: int(1), 'my:custom.property': bool(true) },
    }),
    node(2, 102, 'foo_bar', {
      uri: 'gs://other/b',
      state: 1,
      externalId: 'my_external_id',
      properties: { accuracy: dbl(0.5), 'my property': int(3) },
    }),
    node(3, 103, null, { uri: '', state: null, customProperties: { p: int(25), 'my:custom.property': bool(false) } }),
    node(4, 101, 'FOObaz', { uri: 'GS://BUCKET/c', state: 4, customProperties: { my_param: str('foo') } }),
    node(5, 104, 'node_2', { uri: 'x', state: 2, customProperties: { p: int(2), my_param: str('Foo') } }),
    node(7, 102, 'seven', { uri: 'gs://bucket/', state: 3, properties: { runtime: str('y') } }),
    node(8, 102, 'node_20', { uri: 'x', state: 0, lastUpdateTime: 1_700_000_000_000, customProperties: { p: int(20) } }),
  ],
  executions: [
    node(1, 201, "exe_name_with_'", { lastKnownState: 1, customProperties: { parent_dag_id: int(123) } }),
    node(2, 201, 'e2', { lastKnownState: 2, customProperties: { parent_dag_id: int(124) } }),
    node(3, 202, null, { lastKnownState: null, externalId: 'x' }),
    node(4, 201, 'e4', { lastKnownState: 4 }),
    node(5, 201, 'e5', { lastKnownState: 6, lastUpdateTime: 1_700_000_000_001 }),
    node(6, 201, 'e6', { lastKnownState: 3, properties: { runtime: str('x') } }),
    node(7, 201, 'e7', { lastKnownState: 5 }),
    node(12, 201, 'e12', { lastKnownState: 3 }),
  ],
  contexts: [
    node(1, 301, 'my_run', { customProperties: { p: int(5) } }),
    node(2, 303, 'my_pipeline'),
    node(3, 302, 'p.n'),
    node(4, 301, "context_name_with_'"),
    node(5, 303, 'pipeline_1', { externalId: 'x' }),
    node(6, 304, 'x', { properties: { runtime: str('x') } }),
    node(7, 301, 'run-4f1c'),
  ],
  attributions: [
    { contextId: 1, artifactId: 1 },
    { contextId: 2, artifactId: 1 },
    { contextId: 1, artifactId: 2 },
    { contextId: 3, artifactId: 4 },
    { contextId: 3, artifactId: 5 },
    { contextId: 6, artifactId: 5 },
  ],
  associations: [
    { contextId: 1, executionId: 1 },
    { contextId: 4, executionId: 1 },
    { contextId: 1, executionId: 2 },
    { contextId: 2, executionId: 2 },
    { contextId: 3, executionId: 6 },
    { contextId: 7, executionId: 4 },
  ],
  parentContexts: [
    { childId: 1, parentId: 5 },
    { childId: 7, parentId: 5 },
    { childId: 3, parentId: 2 },
    { childId: 2, parentId: 6 },
  ],
  events: [
    { artifactId: 1, executionId: 12, type: 4, millisecondsSinceEpoch: 100 },
    { artifactId: 2, executionId: 12, type: 3, millisecondsSinceEpoch: 101 },
    { artifactId: 7, executionId: 2, type: 3, millisecondsSinceEpoch: 102 },
    { artifactId: 7, executionId: 3, type: 5, millisecondsSinceEpoch: 103 },
    { artifactId: 7, executionId: 4, type: 4, millisecondsSinceEpoch: 104 },
    { artifactId: 4, executionId: 12, type: 3, millisecondsSinceEpoch: 105 },
  ],
};

/**
 * Hand-derived answers (ids, ascending) for the world above; the SQL test checks the database
 * against these and against the evaluator.
 */
export const EXPECTED: {
  kind: 'artifact' | 'execution' | 'context';
  filter: string;
  ids: number[];
  /** Where a backend's own string semantics give a different answer (contract §10.6). */
  byDialect?: Partial<Record<Dialect, number[]>>;
}[] = [
  { kind: 'execution', filter: 'custom_properties.parent_dag_id.int_value = 123', ids: [1] },
  { kind: 'context', filter: "name = 'run-4f1c'", ids: [7] },
  { kind: 'artifact', filter: 'name = "x"', ids: [1] },
  { kind: 'execution', filter: 'external_id = "x"', ids: [3] },
  { kind: 'context', filter: 'parent_contexts_a.id = 5', ids: [1, 7] },
  { kind: 'artifact', filter: 'properties.runtime.string_value = "x"', ids: [1] },
  { kind: 'context', filter: 'properties.runtime.string_value = "x"', ids: [6] },
  { kind: 'artifact', filter: "type = 'kf.ModelArtifact'", ids: [3] },
  { kind: 'artifact', filter: 'contexts_0.type = "node" AND contexts_0.name = "p.n"', ids: [4, 5] },
  { kind: 'execution', filter: 'contexts_0.type = "node" AND contexts_0.name = "p.n"', ids: [6] },
  { kind: 'artifact', filter: 'contexts_a.name IN ("my_run","p.n")', ids: [1, 2, 4, 5] },
  { kind: 'artifact', filter: 'state = LIVE', ids: [1, 5] },
  { kind: 'artifact', filter: 'state IN (2, 3, 4)', ids: [1, 4, 5, 7] },
  { kind: 'execution', filter: 'last_known_state = COMPLETE', ids: [6, 12] },
  { kind: 'execution', filter: 'last_known_state IN (COMPLETE,CACHED)', ids: [6, 7, 12] },
  { kind: 'artifact', filter: 'last_update_time_since_epoch >= 1700000000000', ids: [8] },
  { kind: 'context', filter: 'id IN (1,2,3)', ids: [1, 2, 3] },
  { kind: 'artifact', filter: 'type IN ("Model","Examples")', ids: [1, 2, 4, 7, 8] },
  { kind: 'artifact', filter: 'type="Examples"', ids: [2, 7, 8] },
  { kind: 'artifact', filter: 'uri = "gs://bucket/a"', ids: [1] },
  { kind: 'execution', filter: 'events_0.artifact_id = 7 AND events_0.type = INPUT', ids: [2] },
  { kind: 'artifact', filter: 'id != 1', ids: [2, 3, 4, 5, 7, 8] },
  { kind: 'execution', filter: 'type_id = 202', ids: [3] },
  // The type is looked up among types of the node's own kind only.
  { kind: 'execution', filter: "type = 'my_type_name'", ids: [3] },
  { kind: 'artifact', filter: "type = 'Examples' AND name LIKE 'foo%'", ids: [2] },
  { kind: 'artifact', filter: "external_id = 'my_external_id'", ids: [2] },
  { kind: 'artifact', filter: 'NOT(create_time_since_epoch < 1 OR last_update_time_since_epoch < 1)', ids: [2, 3, 4, 5, 7, 8] },
  { kind: 'artifact', filter: 'uri IS NOT NULL', ids: [1, 2, 3, 4, 5, 7, 8] },
  { kind: 'artifact', filter: 'state IN (PENDING, LIVE)', ids: [1, 2, 5] },
  // `!=` on an enum also lists nodes whose state was never set.
  { kind: 'artifact', filter: 'state != LIVE', ids: [2, 3, 4, 7, 8] },
  { kind: 'artifact', filter: 'state IS NULL', ids: [3] },
  { kind: 'execution', filter: 'last_known_state NOT IN (FAILED, CANCELED)', ids: [1, 2, 3, 6, 7, 12] },
  { kind: 'execution', filter: 'last_known_state NOT IN (4, 6)', ids: [1, 2, 6, 7, 12] },
  { kind: 'artifact', filter: "contexts_a.type = 'RunContext' AND contexts_a.name = 'my_run'", ids: [1, 2] },
  { kind: 'artifact', filter: "contexts_a.name = 'my_run' AND contexts_b.name = 'my_pipeline'", ids: [1] },
  { kind: 'artifact', filter: "contexts_a.name = 'my_run' AND contexts_a.name = 'my_pipeline'", ids: [] },
  { kind: 'artifact', filter: 'events_0.execution_id = 12 AND events_0.type = OUTPUT', ids: [1] },
  { kind: 'execution', filter: 'events_0.type IN (INPUT, INTERNAL_INPUT) AND events_0.artifact_id = 7', ids: [2, 3] },
  { kind: 'artifact', filter: 'properties.accuracy.double_value > 0.95', ids: [1] },
  { kind: 'artifact', filter: 'custom_properties.my_param.string_value = "foo"', ids: [4], byDialect: { mysql: [4, 5] } },
  { kind: 'artifact', filter: 'properties.`my property`.int_value > 0', ids: [2] },
  { kind: 'artifact', filter: 'custom_properties.`my:custom.property`.bool_value = true', ids: [1] },
  { kind: 'artifact', filter: 'custom_properties.`my:custom.property`.bool_value', ids: [1] },
  { kind: 'artifact', filter: 'NOT custom_properties.`my:custom.property`.bool_value', ids: [3] },
  { kind: 'context', filter: "parent_contexts_a.name = 'pipeline_1'", ids: [1, 7] },
  { kind: 'context', filter: "child_contexts_a.type = 'RunContext'", ids: [5] },
  { kind: 'context', filter: "artifacts_a.uri = 'x' AND artifacts_a.state = LIVE", ids: [3, 6] },
  { kind: 'context', filter: 'executions_a.last_known_state = RUNNING', ids: [1, 2] },
  { kind: 'artifact', filter: "custom_properties.p.int_value < 21 AND name LIKE 'node_2%'", ids: [5, 8] },
  { kind: 'execution', filter: 'name = "exe_name_with_\'"', ids: [1] },
  { kind: 'execution', filter: 'contexts_1.name = "context_name_with_\'" AND name = "exe_name_with_\'"', ids: [1] },
  { kind: 'execution', filter: 'last_known_state = NEW OR last_known_state = RUNNING', ids: [1, 2] },
  // Existential joins: a node without any context never matches a query naming contexts_a.
  { kind: 'artifact', filter: "name = 'seven' OR contexts_a.name = 'my_run'", ids: [1, 2] },
  { kind: 'artifact', filter: "contexts_a.name != 'my_run'", ids: [1, 4, 5] },
  // ... nor does a node without the property, even with IS NULL.
  { kind: 'artifact', filter: 'custom_properties.p.string_value IS NULL', ids: [1, 3, 5, 8] },
  { kind: 'artifact', filter: 'custom_properties.p.int_value IS NULL', ids: [] },
  { kind: 'artifact', filter: 'properties.accuracy.double_value > 0.9 OR custom_properties.p.int_value > 1', ids: [1] },
  // LIKE is ASCII-case-insensitive on SQLite and MySQL, case-sensitive on PostgreSQL.
  { kind: 'artifact', filter: "uri LIKE 'gs://bucket/%'", ids: [1, 4, 7], byDialect: { postgres: [1, 7] } },
  { kind: 'context', filter: "name LIKE 'p_n'", ids: [3] },
  { kind: 'context', filter: 'create_time_since_epoch BETWEEN 20 AND 40', ids: [2, 3, 4] },
  { kind: 'context', filter: 'parent_contexts_a.create_time_since_epoch > 55', ids: [2] },
  { kind: 'context', filter: "artifacts_a.external_id = 'x'", ids: [1, 2] },
  { kind: 'context', filter: 'artifacts_a.state != LIVE', ids: [1, 3] },
  { kind: 'context', filter: 'TRUE', ids: [1, 2, 3, 4, 5, 6, 7] },
];
