// Renders FileDescriptorProtos as sorted "path = value" lines and diffs two renderings, so a
// contract mismatch reads like "messageType[Artifact].field[uri].number: - 3 / + 4" instead
// of two opaque byte strings.
import {
  FileDescriptorProto,
  fieldDescriptorProto_LabelToJSON,
  fieldDescriptorProto_TypeToJSON,
} from '../../src/generated/google/protobuf/descriptor';

/**
 * protoc's default JSON name: drop each '_' and upper-case the letter after it. protoc strips
 * json_name from the descriptors it embeds in generated Python code unless a .proto sets it
 * explicitly, while buf always fills it in. A json_name equal to this derived value therefore
 * carries no information and is ignored; any other json_name is compared like every field.
 */
export function defaultJsonName(fieldName: string): string {
  let out = '';
  let upperNext = false;
  for (const ch of fieldName) {
    if (ch === '_') {
      upperNext = true;
      continue;
    }
    out += upperNext ? ch.toUpperCase() : ch;
    upperNext = false;
  }
  return out;
}

/** Keys never compared: source_code_info holds only comments and source positions. */
const IGNORED_KEYS = new Set(['sourceCodeInfo']);

/** Keys whose numbers are FieldDescriptorProto enums, rendered by name for readability. */
const ENUM_RENDERERS: Record<string, (n: number) => string> = {
  type: fieldDescriptorProto_TypeToJSON,
  label: fieldDescriptorProto_LabelToJSON,
};

function renderScalar(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value);
    return `0x${bytes.toString('hex')} ${JSON.stringify(bytes.toString('latin1').replace(/[^\x20-\x7e]/g, '.'))}`;
  }
  return String(value);
}

/** True for a descriptor list whose elements are identified by name (messages, fields, ...). */
function isNamedList(list: unknown[]): list is { name: string }[] {
  return list.length > 0 && list.every((e) => typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string');
}

function walk(value: unknown, at: string, inField: boolean, lines: string[]): void {
  if (Array.isArray(value)) {
    // Repeated fields decode to [] when absent; on the wire "empty" and "absent" are the same.
    if (value.length === 0) return;
    if (isNamedList(value)) {
      // Declaration order is part of the contract (field order fixes the encoding order,
      // enum value order the first/default value), so it gets a line of its own; elements
      // are then addressed by name so one insertion does not shift every following path.
      lines.push(`${at}#order = ${value.map((e) => e.name).join(', ')}`);
      const kind = at.slice(at.lastIndexOf('.') + 1);
      const isFieldList = kind === 'field' || kind === 'extension';
      for (const e of value) walk(e, `${at}[${e.name}]`, isFieldList, lines);
    } else {
      value.forEach((e, i) => walk(e, `${at}[${i}]`, false, lines));
    }
    return;
  }
  if (value instanceof Uint8Array || typeof value !== 'object' || value === null) {
    if (value !== undefined) lines.push(`${at} = ${renderScalar(value)}`);
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record).sort()) {
    if (IGNORED_KEYS.has(key)) continue;
    const child = record[key];
    const childAt = at ? `${at}.${key}` : key;
    if (key === '_unknownFields') {
      // Custom options (here ml_metadata.system_type_extension) stay unknown to descriptor.ts
      // and are kept as raw tag+value bytes: compare them byte for byte.
      // ts-proto keys them by wire tag (field number << 3 | wire type).
      for (const [tag, chunks] of Object.entries((child ?? {}) as Record<string, Uint8Array[]>)) {
        const fieldNumber = Math.floor(Number(tag) / 8);
        chunks.forEach((chunk, i) => lines.push(`${at}.unknown[field ${fieldNumber}][${i}] = ${renderScalar(chunk)}`));
      }
      continue;
    }
    if (inField && key === 'jsonName' && child === defaultJsonName(String(record.name))) continue;
    if (inField && key in ENUM_RENDERERS && typeof child === 'number') {
      lines.push(`${childAt} = ${ENUM_RENDERERS[key](child)}`);
      continue;
    }
    walk(child, childAt, false, lines);
  }
}

/** Every fact of a file descriptor except comments, one sorted line per fact. */
export function renderDescriptor(file: FileDescriptorProto): string[] {
  const lines: string[] = [];
  walk(file, '', false, lines);
  return lines.sort();
}

/**
 * Differences between a reference and a candidate descriptor: "- line" only in the reference,
 * "+ line" only in the candidate, grouped by path. Empty when they agree.
 */
export function diffDescriptors(reference: FileDescriptorProto, candidate: FileDescriptorProto): string[] {
  const expected = renderDescriptor(reference);
  const actual = renderDescriptor(candidate);
  const actualSet = new Set(actual);
  const expectedSet = new Set(expected);
  const missing = expected.filter((l) => !actualSet.has(l)).map((l) => ({ l, sign: '-' }));
  const extra = actual.filter((l) => !expectedSet.has(l)).map((l) => ({ l, sign: '+' }));
  return [...missing, ...extra]
    .sort((a, b) => (a.l < b.l ? -1 : a.l > b.l ? 1 : a.sign === '-' ? -1 : 1))
    .map(({ l, sign }) => `${sign} ${l}`);
}
