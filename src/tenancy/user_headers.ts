/** KFP's defaults (its USERID_HEADER / USERID_PREFIX settings), which Kubeflow's gateway fills. */
export const DEFAULT_USER_HEADER = 'kubeflow-userid';
export const DEFAULT_USER_PREFIX = '';
export const DEFAULT_GROUPS_HEADER = 'kubeflow-groups';

export interface UserHeaderNames {
  /** Lower-case header names. */
  readonly userHeader: string;
  readonly groupsHeader: string;
  /** Stripped from the start of the user header's value (e.g. "accounts.google.com:" behind IAP). */
  readonly userPrefix: string;
}

/**
 * The user and groups a trusted proxy names in its headers, or undefined when it names no
 * user. A value that lacks the configured prefix names no user: the proxy that adds the
 * prefix is the one trusted, so a value without it did not come from there. Groups are
 * comma-separated.
 */
export function userFromHeaders(
  names: UserHeaderNames,
  header: (name: string) => string | undefined,
): { name: string; groups: string[] } | undefined {
  const raw = header(names.userHeader)?.trim();
  if (!raw) return undefined;
  if (!raw.startsWith(names.userPrefix)) return undefined;
  const name = raw.slice(names.userPrefix.length).trim();
  if (!name) return undefined;
  const groups = (header(names.groupsHeader) ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g.length > 0);
  return { name, groups };
}
