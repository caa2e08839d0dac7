export { parseChannelArguments } from './channel_arguments';
export { ConfigError, EXIT_USAGE } from './config_error';
export { DEFAULT_SQLITE_PATH, FLAG_SPECS, parseFlags } from './flags';
export { parseServerConfigText } from './server_config_file';
export { loadServerSettings, type ServerSettings } from './server_settings';
