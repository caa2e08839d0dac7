import { expect, it } from 'vitest';
import { purgeUnderLoad } from '../../bench/purge_under_load';
import { describeEachBackend } from '../support/backends';

// The bounded version of `npx tsx bench/purge_under_load.ts` (5,000 runs there).
describeEachBackend('a purge while 8 clients keep writing new runs', (backend) => {
  it('every write succeeds, nothing new is deleted, all old runs go, and writes keep flowing during the purge', async () => {
    // Batches of 20: six transactions, with the writers' turn between each two.
    const report = await purgeUnderLoad(await backend.freshDatabaseConfig(), { oldRuns: 120, writers: 8, batchSize: 20, baselineMs: 1000 });
    console.log(
      `[${backend.name}] purge of ${report.oldRuns} runs in ${report.purgeSeconds}s with ${report.writers} writers: ` +
        `write p99 ${report.baseline.p99_ms.toFixed(1)} ms before, ${report.duringPurge.p99_ms.toFixed(1)} ms during ` +
        `(${report.duringPurge.calls} writes answered within it, ${report.completedDuringPurge} of them also started within it)`,
    );
    expect(report.failures).toEqual([]);
    expect(report.purge.counts).toMatchObject({ contexts: 120n, executions: 360n, artifacts: 240n });
    expect(report.oldRunsLeft).toBe(0);
    expect(report.newNodes.created).toBeGreaterThan(0);
    expect(report.newNodes.surviving).toBe(report.newNodes.created);
    // Writers were not held off until the end: writes started after the purge began and were
    // answered before it ended. (A count tied to the writers, 2 per writer, failed on a loaded
    // machine where SQLite's purge took 0.23 s and each write up to 270 ms.)
    expect(report.completedDuringPurge).toBeGreaterThan(0);
  }, 240_000);
});
