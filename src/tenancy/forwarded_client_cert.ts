/**
 * The URI of the client certificate named in an Envoy/Istio `x-forwarded-client-cert` header:
 * elements separated by `,` (one per proxy hop), key=value pairs separated by `;`, values
 * optionally double-quoted (with `\"` escapes). The last element is the hop nearest us, the
 * one our own sidecar added about the peer it terminated mTLS for.
 */
export function forwardedClientCertUri(header: string): string | undefined {
  const elements = splitOutsideQuotes(header, ',');
  const nearest = elements[elements.length - 1];
  if (!nearest) return undefined;
  for (const pair of splitOutsideQuotes(nearest, ';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim().toLowerCase() !== 'uri') continue;
    const value = unquote(pair.slice(eq + 1).trim());
    return value || undefined;
  }
  return undefined;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted && i + 1 < text.length) {
      current += c + text[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === separator && !quoted) {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1).replace(/\\(.)/g, '$1');
  return value;
}
