import type { NodeKind } from '../../src/filter/ast';

/**
 * Every filter the shared notes record: clients.md §0.4 (seen in the wild) and contract §10.9
 * (examples), each with the node kinds it is meant for. Parsed and validated by
 * corpus.test.ts, executed against a fixture database by sql.test.ts.
 */
export interface CorpusEntry {
  source: string;
  filter: string;
  kinds: NodeKind[];
}

const ANY: NodeKind[] = ['artifact', 'execution', 'context'];
const AE: NodeKind[] = ['artifact', 'execution'];

export const CORPUS: CorpusEntry[] = [
  // clients.md §0.4
  { source: 'KFP driver', filter: 'custom_properties.parent_dag_id.int_value = 123', kinds: ['execution'] },
  { source: 'KFP e2e', filter: "name = 'run-4f1c'", kinds: ['context'] },
  { source: 'Model Registry', filter: 'name = "x"', kinds: ANY },
  { source: 'Model Registry', filter: 'external_id = "x"', kinds: ANY },
  { source: 'Model Registry', filter: 'parent_contexts_a.id = 5', kinds: ['context'] },
  { source: 'Model Registry', filter: 'properties.runtime.string_value = "x"', kinds: ANY },
  { source: 'Model Registry', filter: "type = 'kf.ModelArtifact'", kinds: ANY },
  { source: 'Model Registry', filter: "name = \"x\" and type = 'kf.ModelArtifact' and parent_contexts_a.id = 5", kinds: ['context'] },
  { source: 'TFX', filter: 'contexts_0.type = "node" AND contexts_0.name = "p.n"', kinds: AE },
  { source: 'TFX', filter: 'contexts_a.name IN ("a","b")', kinds: AE },
  { source: 'TFX', filter: 'state = LIVE', kinds: ['artifact'] },
  { source: 'TFX', filter: 'state IN (2, 3, 4)', kinds: ['artifact'] },
  { source: 'TFX', filter: 'last_known_state = COMPLETE', kinds: ['execution'] },
  { source: 'TFX', filter: 'last_known_state IN (COMPLETE,CACHED)', kinds: ['execution'] },
  { source: 'TFX', filter: 'last_update_time_since_epoch >= 1700000000000', kinds: ANY },
  { source: 'TFX', filter: 'id IN (1,2,3)', kinds: ANY },
  { source: 'TFX', filter: 'type IN ("Model","Examples")', kinds: ANY },
  { source: 'TFX', filter: 'type="Examples"', kinds: ANY },
  { source: 'TFX', filter: 'uri = "gs://bucket/path"', kinds: ['artifact'] },
  { source: 'TFX', filter: 'events_0.artifact_id = 7 AND events_0.type = INPUT', kinds: ['execution'] },
  {
    source: 'TFX',
    filter: '(contexts_0.type = "node") AND (contexts_0.name = "p.n") AND (state = LIVE OR state = PENDING)',
    kinds: ['artifact'],
  },
  { source: 'TFX', filter: 'state=LIVE', kinds: ['artifact'] },
  // contract §10.9
  { source: '§10.9 #1', filter: 'id != 1', kinds: ANY },
  { source: '§10.9 #2', filter: 'id IN (1, 3)', kinds: ANY },
  { source: '§10.9 #3', filter: 'type_id = 5', kinds: ANY },
  { source: '§10.9 #4', filter: "type = 'my_type_name'", kinds: ANY },
  { source: '§10.9 #5', filter: "type = 'bar' AND name LIKE 'foo%'", kinds: ANY },
  { source: '§10.9 #6', filter: "external_id = 'my_external_id'", kinds: ANY },
  { source: '§10.9 #7', filter: 'NOT(create_time_since_epoch < 1 OR last_update_time_since_epoch < 1)', kinds: ANY },
  { source: '§10.9 #8', filter: "uri LIKE 'gs://bucket/%'", kinds: ['artifact'] },
  { source: '§10.9 #9', filter: 'uri IS NOT NULL', kinds: ['artifact'] },
  { source: '§10.9 #10', filter: 'state IN (PENDING, LIVE)', kinds: ['artifact'] },
  { source: '§10.9 #11', filter: 'state != LIVE', kinds: ['artifact'] },
  { source: '§10.9 #12', filter: 'state IS NULL', kinds: ['artifact'] },
  { source: '§10.9 #13', filter: 'last_known_state NOT IN (FAILED, CANCELED)', kinds: ['execution'] },
  { source: '§10.9 #14', filter: "contexts_a.type = 'RunContext' AND contexts_a.name = 'my_run'", kinds: AE },
  { source: '§10.9 #15', filter: "contexts_a.name = 'my_run' AND contexts_b.name = 'my_pipeline'", kinds: AE },
  { source: '§10.9 #16', filter: 'events_0.execution_id = 12 AND events_0.type = OUTPUT', kinds: ['artifact'] },
  { source: '§10.9 #17', filter: 'events_0.type IN (INPUT, INTERNAL_INPUT) AND events_0.artifact_id = 7', kinds: ['execution'] },
  { source: '§10.9 #18', filter: 'properties.accuracy.double_value > 0.95', kinds: ANY },
  { source: '§10.9 #19', filter: 'custom_properties.my_param.string_value = "foo"', kinds: ANY },
  { source: '§10.9 #20', filter: 'properties.`my property`.int_value > 0', kinds: ANY },
  { source: '§10.9 #21', filter: 'custom_properties.`my:custom.property`.bool_value = true', kinds: ANY },
  { source: '§10.9 #22', filter: "parent_contexts_a.name = 'pipeline_1'", kinds: ['context'] },
  { source: '§10.9 #23', filter: "child_contexts_a.type = 'RunContext'", kinds: ['context'] },
  { source: '§10.9 #24', filter: "artifacts_a.uri = 'x' AND artifacts_a.state = LIVE", kinds: ['context'] },
  { source: '§10.9 #25', filter: 'executions_a.last_known_state = RUNNING', kinds: ['context'] },
  { source: '§10.9 #26', filter: "custom_properties.p.int_value < 21 AND name LIKE 'node_2%'", kinds: ANY },
  { source: '§10.9 #27', filter: 'name = "exe_name_with_\'"', kinds: ['execution'] },
  { source: '§10.9 #28', filter: 'contexts_1.name = "context_name_with_\'" AND name = "exe_name_with_\'"', kinds: ['execution'] },
  { source: '§10.9 #29', filter: 'last_known_state = NEW OR last_known_state = RUNNING', kinds: ['execution'] },
];
