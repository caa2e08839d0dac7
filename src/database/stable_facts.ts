/**
 * Per-database memory of facts that, once read from committed data, never change: e.g. the id
 * of the type named (kind, name, version) — MLMD never deletes or renames a type. Several
 * servers share one database, so only such facts may be kept; anything another replica can
 * change (a type's properties, a node's rows) must always be read again. Absent facts are
 * never remembered (another replica may create the type a moment later).
 */
export class StableFacts {
  private readonly facts = new Map<string, unknown>();

  constructor(private readonly capacity = 50_000) {}

  /** The fact stored under `key` by `set`; callers own the key's namespace and its value's type. */
  get<T = number>(key: string): T | undefined {
    return this.facts.get(key) as T | undefined;
  }

  set(key: string, value: unknown): void {
    // Far more distinct types than any deployment has: start over rather than grow without bound.
    if (this.facts.size >= this.capacity) this.facts.clear();
    this.facts.set(key, value);
  }
}
