export { parseChannelArguments, type ChannelArguments } from './channel_arguments';
export { ConfigError, EXIT_USAGE } from './config_error';
export { DEFAULT_METRICS_PORT, DEFAULT_SQLITE_PATH, FLAG_SPECS, helpText, parseFlags, type Flags } from './flags';
export { parseServerConfigText, readServerConfigFile } from './server_config_file';
export { databaseConfigFromProto, loadServerSettings, settingsFromFlags, type ServerSettings, type TlsSettings } from './server_settings';
export { parseTextFormat, TextFormatError } from './text_format';
