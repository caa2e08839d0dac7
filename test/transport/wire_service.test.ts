import { describe, expect, it } from 'vitest';
import { MetadataStoreServiceService } from '../../src/generated/ml_metadata/proto/metadata_store_service';
import { MlmdError, StatusCode } from '../../src/errors';
import { decodeRequest } from '../../src/store/wire_encoded';
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

  it('keeps every method and its path', () => {
    expect(Object.keys(wrapped)).toEqual(Object.keys(MetadataStoreServiceService));
    for (const [name, method] of Object.entries(MetadataStoreServiceService)) expect(wrapped[name].path).toBe(method.path);
  });

  it('hands requests on as their bytes, in a buffer of their own, for decodeRequest where the call runs', () => {
    const request = { artifactIds: [1n, 2n, 9007199254740993n] };
    const wire = MetadataStoreServiceService.getArtifactsById.requestSerialize(request as never);
    const inPool = Buffer.concat([Buffer.from([9, 9]), wire]).subarray(2);
    const bytes = wrapped.getArtifactsById.requestDeserialize(inPool) as Uint8Array;
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.byteLength).toBe(bytes.buffer.byteLength);
    expect(decodeRequest('getArtifactsById', bytes)).toEqual(MetadataStoreServiceService.getArtifactsById.requestDeserialize(wire));
    // A decoded message passes through as it is.
    expect(decodeRequest('getArtifactsById', request as never)).toBe(request);
  });

  it('fails a request that does not decode as grpc-js does: INTERNAL, "Error deserializing request"', () => {
    let error: unknown;
    try {
      decodeRequest('getArtifactsById', new Uint8Array([0x0a, 0xff, 0xff, 0xff]));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MlmdError);
    expect(error).toMatchObject({ code: StatusCode.INTERNAL, message: 'Error deserializing request' });
  });
});
