import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { WEB_CALL_HEADER, WebCallRegistry } from '../../../src/transport/web/web_call_registry';

describe('WebCallRegistry', () => {
  it('hands a bridged call its HTTP facts once, removes the id from the metadata, and forgets released calls', () => {
    const registry = new WebCallRegistry();
    const facts = { headers: { authorization: 'Bearer t' }, peerAddress: '10.0.0.1' };
    const id = registry.register(facts);
    const m = new Metadata();
    m.set(WEB_CALL_HEADER, id);
    expect(registry.take(m)).toBe(facts);
    expect(m.get(WEB_CALL_HEADER)).toEqual([]);
    const again = new Metadata();
    again.set(WEB_CALL_HEADER, id);
    expect(registry.take(again)).toBeUndefined();
    const other = registry.register(facts);
    expect(registry.size).toBe(1);
    registry.release(other);
    expect(registry.size).toBe(0);
  });

  it('a made-up or repeated id names no call', () => {
    const registry = new WebCallRegistry();
    const id = registry.register({ headers: {}, peerAddress: undefined });
    const twice = new Metadata();
    twice.add(WEB_CALL_HEADER, id);
    twice.add(WEB_CALL_HEADER, id);
    expect(registry.take(twice)).toBeUndefined();
    const made = new Metadata();
    made.set(WEB_CALL_HEADER, 'guess');
    expect(registry.take(made)).toBeUndefined();
    expect(registry.take(new Metadata())).toBeUndefined();
  });
});
