import { describe, expect, it } from 'vitest';
import { WriteTurns } from '../../src/database/write_turns';

const tick = () => new Promise((r) => setImmediate(r));

describe('WriteTurns (SQLite writers of one process, one at a time)', () => {
  it('grants turns in arrival order, each as the one before it ends', async () => {
    const turns = new WriteTurns(60_000);
    const order: number[] = [];
    const first = await turns.take();
    const waiting = [1, 2, 3].map((n) => turns.take().then((end) => (order.push(n), end)));
    await tick();
    expect(order).toEqual([]);
    expect(turns.waiting).toBe(3);
    first();
    first(); // a second release of the same turn changes nothing
    await tick();
    expect(order).toEqual([1]);
    (await waiting[0])();
    await tick();
    expect(order).toEqual([1, 2]);
    (await waiting[1])();
    (await waiting[2])();
    // Free again: the next caller has it at once.
    const again = await turns.take();
    expect(turns.waiting).toBe(0);
    again();
  });

  it('a waiter whose call is cancelled leaves the queue at once, with the reason', async () => {
    const turns = new WriteTurns(60_000);
    const held = await turns.take();
    const abort = new AbortController();
    const cancelled = turns.take(abort.signal);
    const next = turns.take();
    abort.abort(new Error('deadline passed'));
    await expect(cancelled).rejects.toThrow('deadline passed');
    expect(turns.waiting).toBe(1);
    held();
    (await next)();
  });

  it('a turn not had within the wait is given up on: the caller goes ahead, the queue moves on', async () => {
    const turns = new WriteTurns(30);
    const held = await turns.take();
    const gaveUp = await turns.take();
    expect(turns.waiting).toBe(0);
    gaveUp(); // releases nothing: the turn is still held
    let granted = false;
    const after = turns.take().then((end) => ((granted = true), end));
    await tick();
    expect(granted).toBe(false);
    held();
    (await after)();
  });
});
