import fs from 'node:fs';
import path from 'node:path';
import { Root, type Type } from 'protobufjs';
import { PurgeKind, RetentionPolicy } from '../generated/mlmd_ts/retention/v1/retention_policy';
import { ConfigError } from './config_error';
import { protoDir } from './proto_files';
import { parseTextFormat, TextFormatError } from './text_format';

export const RETENTION_POLICY_PROTO = 'mlmd_ts/retention/v1/retention_policy.proto';

export const DEFAULT_RETENTION_INTERVAL_SECONDS = 900;
export const DEFAULT_RETENTION_BATCH_SIZE = 1000;
export const DEFAULT_RETENTION_INITIAL_DELAY_SECONDS = 60;
const DAY_MS = 24 * 60 * 60 * 1000;

export type RetentionKind = 'context' | 'execution' | 'artifact';

/** One validated rule; the filter text is composed per pass (the age is relative to then). */
export interface RetentionRuleSettings {
  name: string;
  kind: RetentionKind;
  type?: string;
  olderThanMs?: number;
  filterQuery?: string;
  keepFilterQuery?: string;
  allowMatchAll: boolean;
}

export interface RetentionSettings {
  source: string;
  rules: RetentionRuleSettings[];
  intervalMs: number;
  batchSize: number;
  dryRun: boolean;
  initialDelayMs: number;
}

let policyType: Type | undefined;

function loadPolicyType(): Type {
  if (policyType) return policyType;
  const root = new Root();
  root.loadSync(path.join(protoDir(), RETENTION_POLICY_PROTO), { keepCase: true });
  root.resolveAll();
  return (policyType = root.lookupType('mlmd_ts.retention.v1.RetentionPolicy'));
}

const KINDS: Partial<Record<PurgeKind, RetentionKind>> = {
  [PurgeKind.PURGE_KIND_CONTEXT]: 'context',
  [PurgeKind.PURGE_KIND_EXECUTION]: 'execution',
  [PurgeKind.PURGE_KIND_ARTIFACT]: 'artifact',
};

/**
 * Parses a text-format mlmd_ts.retention.v1.RetentionPolicy (unknown fields, types and
 * enum names are refused with the line), then checks what the descriptor cannot: each rule
 * has a kind, a unique name, and at least one condition. The filters are checked against
 * the filter language when the server starts the policy.
 */
export function parseRetentionPolicyText(text: string, source: string): RetentionSettings {
  let policy: RetentionPolicy;
  try {
    policy = RetentionPolicy.fromJSON(parseTextFormat(text, loadPolicyType(), source));
  } catch (e) {
    if (e instanceof TextFormatError) throw new ConfigError(`cannot parse the retention config file ${e.message}`);
    throw e;
  }
  const names = new Set<string>();
  const rules = (policy.rules ?? []).map((rule, i): RetentionRuleSettings => {
    const name = rule.name || `rule ${i + 1}`;
    const where = `${source}: retention rule "${name}"`;
    if (names.has(name)) throw new ConfigError(`${where}: two rules have this name`);
    names.add(name);
    const kind = KINDS[rule.kind ?? PurgeKind.PURGE_KIND_UNSPECIFIED];
    if (!kind) throw new ConfigError(`${where}: kind is required (PURGE_KIND_CONTEXT, PURGE_KIND_EXECUTION or PURGE_KIND_ARTIFACT)`);
    if (!rule.type && !rule.olderThanDays && !rule.filterQuery) {
      throw new ConfigError(`${where}: give at least one of type, older_than_days, filter_query`);
    }
    return {
      name,
      kind,
      type: rule.type || undefined,
      olderThanMs: rule.olderThanDays ? rule.olderThanDays * DAY_MS : undefined,
      filterQuery: rule.filterQuery || undefined,
      keepFilterQuery: rule.keepFilterQuery || undefined,
      allowMatchAll: rule.allowMatchAll ?? false,
    };
  });
  if (rules.length === 0) throw new ConfigError(`${source}: the retention policy has no rules`);
  return {
    source,
    rules,
    intervalMs: (policy.intervalSeconds || DEFAULT_RETENTION_INTERVAL_SECONDS) * 1000,
    batchSize: policy.batchSize || DEFAULT_RETENTION_BATCH_SIZE,
    dryRun: policy.dryRun ?? false,
    initialDelayMs: (policy.initialDelaySeconds || DEFAULT_RETENTION_INITIAL_DELAY_SECONDS) * 1000,
  };
}

export function readRetentionPolicyFile(file: string): RetentionSettings {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new ConfigError(`cannot read --retention_config_file=${file}: ${reason}`);
  }
  return parseRetentionPolicyText(text, file);
}
