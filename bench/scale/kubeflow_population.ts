/**
 * A Kubeflow Pipelines v2-shaped metadata database written with bulk SQL, for the scale
 * benchmark (bench/scale/run.ts). Writing 10×N runs through any MLMD API would take most of the
 * benchmark's time; multi-row INSERTs of the rows a KFP v2 run leaves behind take seconds.
 *
 * Per run r (of `runs`), as KFP's driver and launcher write it:
 *  - a `system.PipelineRun` context `run-<r, 6 digits>` with custom properties `namespace`,
 *    `resource_name`, `pipeline_root`, child of one of `pipelines` `system.Pipeline` contexts;
 *  - a root `system.DAGExecution` and `tasks` `system.ContainerExecution`s, each with custom
 *    properties `display_name`, `task_name` and (containers) `parent_dag_id` = the root DAG's
 *    id, `pod_name`; all associated with the run context;
 *  - per task k: an OUTPUT `system.Dataset` (uri .../run/task-k/dataset, custom `display_name`)
 *    and an OUTPUT `system.Model` (odd k; custom `accuracy` double, `framework`) or
 *    `system.Metrics` (even k; custom `accuracy`); task k>0 reads task k-1's dataset (INPUT);
 *    every event has one path step (the output name); all artifacts attributed to the run.
 *
 * Ids are assigned here (1, 2, ... per table) so the shape is known without reading it back.
 */
import type { Knex } from 'knex';
import type { Database } from '../../src/database';

export interface PopulationShape {
  runs: number;
  tasks: number;
  pipelines: number;
}

export const TYPES = {
  pipeline: { name: 'system.Pipeline', kind: 2 },
  run: { name: 'system.PipelineRun', kind: 2 },
  dag: { name: 'system.DAGExecution', kind: 0 },
  container: { name: 'system.ContainerExecution', kind: 0 },
  dataset: { name: 'system.Dataset', kind: 1 },
  model: { name: 'system.Model', kind: 1 },
  metrics: { name: 'system.Metrics', kind: 1 },
} as const;

const EVENT_INPUT = 3;
const EVENT_OUTPUT = 4;
const EXECUTION_COMPLETE = 3;
const ARTIFACT_LIVE = 2;
/** 2026-01-01T00:00:00Z; each run starts a minute after the previous one. */
const EPOCH_MS = 1_767_225_600_000;

export const runName = (r: number) => `run-${String(r).padStart(6, '0')}`;
export const pipelineName = (p: number) => `pipeline-${String(p).padStart(3, '0')}`;
export const namespaceOf = (r: number) => `team-${r % 7}`;
export const pipelineRoot = (r: number) => `minio://mlpipeline/v2/artifacts/${pipelineName(r % 20)}/${runName(r)}`;
export const datasetUri = (r: number, k: number) => `${pipelineRoot(r)}/task-${k}/dataset`;

/** Where run r's rows are; ids are 1-based and dense per table. */
export function runLayout(shape: PopulationShape, r: number) {
  const executionsPerRun = shape.tasks + 1;
  const artifactsPerRun = 2 * shape.tasks;
  return {
    contextId: shape.pipelines + 1 + r,
    pipelineContextId: 1 + (r % shape.pipelines),
    rootDagId: 1 + r * executionsPerRun,
    containerId: (k: number) => 1 + r * executionsPerRun + 1 + k,
    datasetId: (k: number) => 1 + r * artifactsPerRun + 2 * k,
    secondArtifactId: (k: number) => 1 + r * artifactsPerRun + 2 * k + 1,
  };
}

/** Deterministic accuracy in [0, 1) per artifact id (a few above 0.99, as real models). */
export function accuracyOf(artifactId: number): number {
  let x = (artifactId * 2654435761) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x45d9f3b) >>> 0;
  x ^= x >>> 16;
  return (x % 100_000) / 100_000;
}

type Row = Record<string, unknown>;

class Batches {
  private readonly rows = new Map<string, Row[]>();
  constructor(
    private readonly knex: Knex | Knex.Transaction,
    private readonly table: (name: string) => string,
    private readonly rowsPerStatement: number,
  ) {}

  async add(table: string, row: Row): Promise<void> {
    let list = this.rows.get(table);
    if (!list) this.rows.set(table, (list = []));
    list.push(row);
    if (list.length >= this.rowsPerStatement) await this.flush(table);
  }

  async flush(table?: string): Promise<void> {
    for (const name of table ? [table] : [...this.rows.keys()]) {
      const list = this.rows.get(name);
      if (!list || list.length === 0) continue;
      this.rows.set(name, []);
      await this.knex(this.table(name)).insert(list);
    }
  }
}

const prop = (idColumn: string, id: number, name: string, value: Partial<Record<'int_value' | 'double_value' | 'string_value', unknown>>) => ({
  [idColumn]: id,
  name,
  is_custom_property: 1,
  int_value: null,
  double_value: null,
  string_value: null,
  ...value,
});

/** Writes the population into an empty MLMD database (schema already created by openDatabase). */
export async function populate(db: Database, shape: PopulationShape, log: (line: string) => void = () => undefined): Promise<void> {
  const started = Date.now();
  const t = (name: string) => db.table(name as never);
  const bool = (b: boolean) => (db.dialect === 'postgres' ? b : b ? 1 : 0);
  const fix = (row: Row) => ('is_custom_property' in row ? { ...row, is_custom_property: bool(true) } : row);
  // Multi-row INSERTs sized below every backend's bound-parameter limit.
  const RUNS_PER_TRANSACTION = 250;
  // The schema's own simple types come first; ours follow them.
  const { maxType } = (await db.knex(t('Type')).max({ maxType: 'id' }).first()) as { maxType: number | null };
  const typeId = Object.fromEntries(Object.keys(TYPES).map((key, i) => [key, Number(maxType ?? 0) + 1 + i])) as Record<keyof typeof TYPES, number>;
  await db.knex(t('Type')).insert(Object.entries(TYPES).map(([key, ty]) => ({ id: typeId[key as keyof typeof TYPES], name: ty.name, type_kind: ty.kind })));
  await db.knex.transaction(async (trx) => {
    const rows: Row[] = [];
    for (let p = 0; p < shape.pipelines; p++) {
      rows.push({ id: p + 1, type_id: typeId.pipeline, name: pipelineName(p), create_time_since_epoch: EPOCH_MS, last_update_time_since_epoch: EPOCH_MS });
    }
    await trx(t('Context')).insert(rows);
  });
  for (let first = 0; first < shape.runs; first += RUNS_PER_TRANSACTION) {
    await db.knex.transaction(async (trx) => {
      const batches = new Batches(trx, t, 400);
      const add = (table: string, row: Row) => batches.add(table, fix(row));
      let eventId = first * (3 * shape.tasks - 1);
      for (let r = first; r < Math.min(shape.runs, first + RUNS_PER_TRANSACTION); r++) {
        const at = runLayout(shape, r);
        const time = EPOCH_MS + r * 60_000;
        await add('Context', { id: at.contextId, type_id: typeId.run, name: runName(r), create_time_since_epoch: time, last_update_time_since_epoch: time });
        await add('ParentContext', { context_id: at.contextId, parent_context_id: at.pipelineContextId });
        await add('ContextProperty', prop('context_id', at.contextId, 'namespace', { string_value: namespaceOf(r) }));
        await add('ContextProperty', prop('context_id', at.contextId, 'pipeline_root', { string_value: pipelineRoot(r) }));
        await add('ContextProperty', prop('context_id', at.contextId, 'resource_name', { string_value: `${runName(r)}-resource` }));
        const execution = async (id: number, type: number, taskName: string, k: number) => {
          await add('Execution', { id, type_id: type, last_known_state: EXECUTION_COMPLETE, create_time_since_epoch: time + k + 1, last_update_time_since_epoch: time + k + 2 });
          await add('Association', { context_id: at.contextId, execution_id: id });
          await add('ExecutionProperty', prop('execution_id', id, 'display_name', { string_value: taskName }));
          await add('ExecutionProperty', prop('execution_id', id, 'task_name', { string_value: taskName }));
        };
        await execution(at.rootDagId, typeId.dag, 'root', -1);
        for (let k = 0; k < shape.tasks; k++) {
          const e = at.containerId(k);
          await execution(e, typeId.container, `task-${k}`, k);
          await add('ExecutionProperty', prop('execution_id', e, 'parent_dag_id', { int_value: at.rootDagId }));
          await add('ExecutionProperty', prop('execution_id', e, 'pod_name', { string_value: `${runName(r)}-task-${k}-pod` }));
          const outputs: [number, number, string, string][] = [
            [at.datasetId(k), typeId.dataset, datasetUri(r, k), 'dataset'],
            k % 2 === 1
              ? [at.secondArtifactId(k), typeId.model, `${pipelineRoot(r)}/task-${k}/model`, 'model']
              : [at.secondArtifactId(k), typeId.metrics, `${pipelineRoot(r)}/task-${k}/metrics`, 'metrics'],
          ];
          for (const [id, type, uri, output] of outputs) {
            await add('Artifact', { id, type_id: type, uri, state: ARTIFACT_LIVE, create_time_since_epoch: time + k + 3, last_update_time_since_epoch: time + k + 3 });
            await add('Attribution', { context_id: at.contextId, artifact_id: id });
            await add('ArtifactProperty', prop('artifact_id', id, 'display_name', { string_value: output }));
            if (type !== typeId.dataset) await add('ArtifactProperty', prop('artifact_id', id, 'accuracy', { double_value: accuracyOf(id) }));
            if (type === typeId.model) await add('ArtifactProperty', prop('artifact_id', id, 'framework', { string_value: k % 4 === 1 ? 'tensorflow' : 'pytorch' }));
            eventId++;
            await add('Event', { id: eventId, artifact_id: id, execution_id: e, type: EVENT_OUTPUT, milliseconds_since_epoch: time + k + 3 });
            await add('EventPath', { event_id: eventId, is_index_step: bool(false), step_index: null, step_key: output });
          }
          if (k > 0) {
            eventId++;
            await add('Event', { id: eventId, artifact_id: at.datasetId(k - 1), execution_id: e, type: EVENT_INPUT, milliseconds_since_epoch: time + k + 1 });
            await add('EventPath', { event_id: eventId, is_index_step: bool(false), step_index: null, step_key: 'input' });
          }
        }
      }
      await batches.flush();
    });
    if ((first / RUNS_PER_TRANSACTION) % 8 === 7) log(`  ${first + RUNS_PER_TRANSACTION} runs written (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  if (db.dialect === 'postgres') {
    // Ids were given explicitly; move the sequences past them as upstream's inserts expect.
    for (const table of ['Type', 'Context', 'Execution', 'Artifact', 'Event', 'Association', 'Attribution']) {
      await db.knex.raw(`SELECT setval(pg_get_serial_sequence(?, 'id'), (SELECT MAX(id) FROM ??))`, [t(table), t(table)]);
    }
  }
  if (db.dialect === 'mysql') {
    for (const table of ['Context', 'Execution', 'Artifact', 'Event', 'EventPath', 'Association', 'Attribution', 'ContextProperty', 'ExecutionProperty', 'ArtifactProperty']) {
      await db.knex.raw('ANALYZE TABLE ??', [t(table)]);
    }
  } else {
    await db.knex.raw('ANALYZE');
  }
  log(`  populated ${shape.runs} runs × ${shape.tasks} tasks in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
