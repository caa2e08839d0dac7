import type { LineageSubgraphQueryOptions_Direction as Direction } from '../../generated/ml_metadata/proto/metadata_store';
import type { Tx } from '../../database/database';
import { MAX_IDS_PER_STATEMENT } from '../../repositories/statement_limits';
import { eventsOfWalk, eventsTouching, type EventEdgeRow, type WalkLevel } from '../../repositories/lineage_repository';
import { eventTypesFollowed } from './event_direction';

/**
 * Hops whose events one statement reads: the first statement reads 2, later ones up to 4.
 * Each level re-reads the events behind the frontier (visited nodes are not excluded in SQL)
 * and levels past the walk's end are wasted, so more levels cost the database more rows for
 * fewer round trips; bench/README.md records how 1, 2, 4, 8 and a recursive CTE compared.
 */
export const FIRST_HOPS_PER_STATEMENT = 2;
export const MAX_HOPS_PER_STATEMENT = 4;

/**
 * The events a breadth-first lineage walk crosses, hop by hop, read several hops at a time: at hop h the walk asks for the events touching its frontier; when no prefetched
 * level is left, one statement reads the next levels from that frontier (eventsOfWalk), and
 * later hops take their frontier's rows from those levels. Every level is a superset of the
 * frontier's events, so the walk sees exactly what a statement per hop would give it.
 */
export class WalkEvents {
  private levels: EventEdgeRow[][] = [];
  private firstHop = 0;
  private batch = FIRST_HOPS_PER_STATEMENT;

  constructor(
    private readonly tx: Tx,
    private readonly startKind: 'artifact' | 'execution',
    private readonly direction: Direction,
    private readonly hops: number,
  ) {}

  private fromArtifact(hop: number): boolean {
    return (this.startKind === 'artifact') === (hop % 2 === 0);
  }

  async eventsOfHop(hop: number, frontier: number[]): Promise<EventEdgeRow[]> {
    const side = this.fromArtifact(hop) ? 'artifact_id' : 'execution_id';
    if (frontier.length > MAX_IDS_PER_STATEMENT) {
      // A frontier this wide goes a hop at a time, in chunks.
      this.levels = [];
      return eventsTouching(this.tx, side, frontier);
    }
    if (hop - this.firstHop >= this.levels.length) {
      // Most walks end within a few hops (a Kubeflow run's lineage: 2): start small.
      const count = Math.min(this.batch, this.hops - hop);
      this.batch = Math.min(2 * this.batch, MAX_HOPS_PER_STATEMENT);
      const levels: WalkLevel[] = Array.from({ length: count }, (_, j) => {
        const fromArtifact = this.fromArtifact(hop + j);
        return { side: fromArtifact ? 'artifact_id' : 'execution_id', types: eventTypesFollowed(this.direction, fromArtifact) };
      });
      this.levels = await eventsOfWalk(this.tx, frontier, levels);
      this.firstHop = hop;
    }
    const rows = this.levels[hop - this.firstHop];
    const near = new Set(frontier);
    return rows.filter((e) => near.has(e[side]));
  }
}
