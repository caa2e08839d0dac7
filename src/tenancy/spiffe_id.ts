/** A Kubernetes workload's SPIFFE identity, as Istio issues it: spiffe://<trust domain>/ns/<ns>/sa/<sa>. */
export interface SpiffeWorkload {
  readonly id: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

const WORKLOAD = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/;

/** The namespace and service account of a SPIFFE id, or undefined for any other URI. */
export function parseSpiffeWorkload(uri: string): SpiffeWorkload | undefined {
  const m = WORKLOAD.exec(uri.trim());
  return m ? { id: uri.trim(), namespace: m[1], serviceAccount: m[2] } : undefined;
}

/** The URI SANs of a certificate's subjectaltname string ("DNS:a, URI:spiffe://…"). */
export function uriSans(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  return subjectAltName
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice('URI:'.length));
}

/** Kubernetes' user name of a service account, as TokenReview reports it. */
export function serviceAccountUser(namespace: string, serviceAccount: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

const SA_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

export function parseServiceAccountUser(user: string): { namespace: string; serviceAccount: string } | undefined {
  const m = SA_USER.exec(user);
  return m ? { namespace: m[1], serviceAccount: m[2] } : undefined;
}
