import type { Event, Event_Path_Step } from '../../generated/ml_metadata/proto/metadata_store';
import type { Tx } from '../../database/database';
import { eventKeyString, insertEvents, type EventKey, type NewEvent, type StoredStep } from '../../repositories/event_repository';
import { eventWriteFacts } from '../../repositories/event_write_checks';
import { storedIdOf } from '../../repositories/stored_ids';
import { alreadyExists, invalidArgument } from '../../errors';
import type { RpcImpl } from '../rpc';
import { writableExisting } from '../tenancy/write_access';
import { isStorableEventType } from './event_type';

/**
 * PutEvents (contract §6.1, §6.2). Each event is checked in request order, and the first
 * failure rejects the whole request before anything is written: ids and type present, both
 * nodes exist (INVALID_ARGUMENT, never NOT_FOUND), and no event with the same (artifact,
 * execution, type) stored or earlier in the request (ALREADY_EXISTS). Statements: one lookup
 * of the nodes and the candidate duplicates together (eventWriteFacts), then multi-row
 * inserts; the composite writes skip the lookups their own writes already answer (KnownNodes).
 */
export const putEvents: RpcImpl<'putEvents'> = async (tx, request) => {
  const events = request.events ?? [];
  if (events.length > 0) await writeEvents(tx, events, 'events');
  return {};
};

/**
 * Validates and writes `events` (field name `field` in messages, or a function naming the
 * i-th event, for callers whose events sit inside other messages). Exported for the
 * composite writes (PutExecution, PutLineageSubgraph), which run the same checks on their
 * events.
 */
export async function writeEvents(
  tx: Tx,
  events: readonly Event[],
  field: string | ((index: number) => string),
  known: KnownNodes = {},
): Promise<void> {
  const label = typeof field === 'string' ? (i: number) => `${field}[${i}]` : field;
  const knownArtifacts = new Set(known.artifacts ?? []);
  const knownExecutions = new Set(known.executions ?? []);
  const createdExecutions = new Set(known.createdExecutions ?? []);
  for (const id of createdExecutions) knownExecutions.add(id);
  const artifactIds: number[] = [];
  const executionIds: number[] = [];
  // Candidate duplicates: every well-formed event whose execution this transaction did not
  // create (a new execution has no stored events). An event that fails a check below never
  // gets that far; looking its key up anyway costs nothing more in the one statement.
  const candidateKeys: EventKey[] = [];
  for (const e of events) {
    const a = e.artifactId === undefined ? null : storedIdOf(e.artifactId);
    const x = e.executionId === undefined ? null : storedIdOf(e.executionId);
    if (a !== null && !knownArtifacts.has(a)) artifactIds.push(a);
    if (x !== null && !knownExecutions.has(x)) executionIds.push(x);
    if (a !== null && x !== null && e.type !== undefined && isStorableEventType(e.type) && !createdExecutions.has(x)) {
      candidateKeys.push({ artifactId: a, executionId: x, type: e.type });
    }
  }
  const facts = await eventWriteFacts(tx, { Artifact: artifactIds, Execution: executionIds }, candidateKeys);
  // Nodes the caller may not link (tenancy enforce) are treated as absent; the nodes this
  // transaction wrote itself passed that check when it wrote them.
  const existing = await writableExisting(tx, facts.existing);
  for (const id of knownArtifacts) existing.Artifact.add(id);
  for (const id of knownExecutions) existing.Execution.add(id);

  const candidates: NewEvent[] = events.map((event, i) => {
    const at = label(i);
    if (event.artifactId === undefined) throw invalidArgument(`No artifact id is specified (${at}.artifact_id is unset).`);
    if (event.executionId === undefined) throw invalidArgument(`No execution id is specified (${at}.execution_id is unset).`);
    if (event.type === undefined || !isStorableEventType(event.type)) {
      throw invalidArgument(
        `No event type is specified (${at}.type is ${event.type === undefined ? 'unset' : event.type}; ` +
          'expected one of DECLARED_OUTPUT..PENDING_OUTPUT).',
      );
    }
    const artifactId = storedIdOf(event.artifactId);
    if (artifactId === null || !existing.Artifact.has(artifactId)) {
      throw invalidArgument(`No artifact with the given id ${event.artifactId} (${at}.artifact_id).`);
    }
    const executionId = storedIdOf(event.executionId);
    if (executionId === null || !existing.Execution.has(executionId)) {
      throw invalidArgument(`No execution with the given id ${event.executionId} (${at}.execution_id).`);
    }
    return {
      artifactId,
      executionId,
      type: event.type,
      millisecondsSinceEpoch: event.millisecondsSinceEpoch ?? BigInt(tx.nowMs),
      steps: storedSteps(event.path?.steps ?? []),
    };
  });

  const stored = facts.storedKeys;
  const seen = new Set<string>();
  candidates.forEach((c, i) => {
    const key = eventKeyString(c);
    if (stored.has(key) || seen.has(key)) {
      throw alreadyExists(
        `Given event already exists: artifact_id ${c.artifactId}, execution_id ${c.executionId}, type ${c.type} ` +
          `(${label(i)}${stored.has(key) ? '' : ' repeats an earlier event of this request'}).`,
      );
    }
    seen.add(key);
  });

  await insertEvents(tx, candidates);
}

/**
 * Nodes the calling transaction already knows to exist, because it wrote or read them itself:
 * their existence is not asked again. Executions it created cannot have stored events.
 */
export interface KnownNodes {
  artifacts?: Iterable<number>;
  executions?: Iterable<number>;
  createdExecutions?: Iterable<number>;
}

/** Steps with neither `index` nor `key` set are dropped, as upstream does. */
function storedSteps(steps: readonly Event_Path_Step[]): StoredStep[] {
  const out: StoredStep[] = [];
  for (const step of steps) {
    if (step.index !== undefined) out.push({ kind: 'index', index: step.index });
    else if (step.key !== undefined) out.push({ kind: 'key', key: step.key });
  }
  return out;
}
