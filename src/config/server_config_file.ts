import fs from 'node:fs';
import type { Type } from 'protobufjs';
import { MetadataStoreServerConfig } from '../generated/ml_metadata/proto/metadata_store';
import { ConfigError } from './config_error';
import { loadMlmdProtoRoot } from './proto_files';
import { parseTextFormat, TextFormatError } from './text_format';

let serverConfigType: Type | undefined;

/**
 * Parses a text-format ml_metadata.MetadataStoreServerConfig. The text is checked against the
 * .proto descriptors (unknown fields, types, ranges, oneofs, with line numbers), then turned
 * into the ts-proto message the rest of the code uses.
 */
export function parseServerConfigText(text: string, source: string): MetadataStoreServerConfig {
  serverConfigType ??= loadMlmdProtoRoot().lookupType('ml_metadata.MetadataStoreServerConfig');
  try {
    return MetadataStoreServerConfig.fromJSON(parseTextFormat(text, serverConfigType, source));
  } catch (e) {
    if (e instanceof TextFormatError) throw new ConfigError(`cannot parse the server config file ${e.message}`);
    throw e;
  }
}

export function readServerConfigFile(path: string): MetadataStoreServerConfig {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new ConfigError(`cannot read --metadata_store_server_config_file=${path}: ${reason}`);
  }
  return parseServerConfigText(text, path);
}
