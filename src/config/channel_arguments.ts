import { ConfigError } from './config_error';

export type ChannelArguments = Record<string, string | number>;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * `--grpc_channel_arguments`: comma-separated `key=value` pairs. Like upstream, a value that
 * reads as an integer is passed as a number and anything else as a string, so
 * `grpc.max_receive_message_length=67108864` sets a limit while
 * `grpc.primary_user_agent=x` stays text. Empty items (a trailing comma) are ignored.
 */
export function parseChannelArguments(text: string): ChannelArguments {
  const args: ChannelArguments = {};
  for (const item of text.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) {
      throw new ConfigError(`--grpc_channel_arguments: '${trimmed}' is not of the form key=value`);
    }
    const key = trimmed.slice(0, eq).trim();
    const value = trimmed.slice(eq + 1).trim();
    if (/^[-+]?\d+$/.test(value)) {
      const n = Number(value);
      if (n < INT32_MIN || n > INT32_MAX) {
        throw new ConfigError(`--grpc_channel_arguments: ${key}=${value} does not fit a 32-bit integer`);
      }
      args[key] = n;
    } else {
      args[key] = value;
    }
  }
  return args;
}
