import { describe, expect, it } from 'vitest';
import { MetadataStoreServiceService } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import { wireService } from '../../src/transport/service';

/**
 * The server registers MetadataStoreService through wireService (src/transport/service.ts): a
 * handler's response that is already wire-encoded (the SQLite store threads' callForWire) goes
 * out as those bytes; a decoded message is serialised by the generated code as before.
 */
describe('wireService', () => {
  const wrapped = wireService(MetadataStoreServiceService);
  const original = MetadataStoreServiceService.getArtifactsById;
  const response = { artifacts: [{ id: 7n, typeId: 2n, uri: 's3://x', properties: {}, customProperties: { n: { intValue: -3n } } }] };

  it('serialises a message as the generated definition does', () => {
    const bytes = wrapped.getArtifactsById.responseSerialize(response);
    expect(Buffer.from(bytes).equals(original.responseSerialize(response as never))).toBe(true);
  });

  it('sends pre-encoded bytes unchanged, a view into a larger buffer included', () => {
    const encoded = original.responseSerialize(response as never);
    const padded = new Uint8Array(encoded.length + 8);
    padded.set(encoded, 4);
    const view = padded.subarray(4, 4 + encoded.length);
    const sent = wrapped.getArtifactsById.responseSerialize(view);
    expect(Buffer.isBuffer(sent)).toBe(true);
    expect(sent.equals(encoded)).toBe(true);
    expect(original.responseDeserialize(sent)).toEqual(original.responseDeserialize(encoded));
  });

  it('keeps every method, its path and its request decoding', () => {
    expect(Object.keys(wrapped)).toEqual(Object.keys(MetadataStoreServiceService));
    for (const [name, method] of Object.entries(MetadataStoreServiceService)) {
      expect(wrapped[name].path).toBe(method.path);
      expect(wrapped[name].requestDeserialize).toBe(method.requestDeserialize);
    }
  });
});
