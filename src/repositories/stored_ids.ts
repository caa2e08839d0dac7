/**
 * The one rule for "can this wire id name a row". Ids on the wire are int64; stored ids are
 * positive and far below 2^53. An id outside the safe-integer range (or below 1) cannot name a
 * stored row, so callers treat it as "does not exist" rather than letting a lossy Number()
 * conversion alias it onto a real row.
 */
export function storedIdOf(id: bigint): number | null {
  if (id < 1n || id > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(id);
}

/** The stored ids that `ids` can name, in order (absent and unnamable ids dropped, duplicates kept). */
export function storedIds(ids: Iterable<bigint | undefined>): number[] {
  const out: number[] = [];
  for (const id of ids) {
    const stored = id === undefined ? null : storedIdOf(id);
    if (stored !== null) out.push(stored);
  }
  return out;
}
