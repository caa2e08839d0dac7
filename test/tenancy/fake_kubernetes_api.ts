import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** What the fake API server knows: tokens, RBAC grants, namespaces with their labels. */
export interface FakeCluster {
  /** token → user (and groups) the TokenReview answers with; `audiences` the token is valid for. */
  tokens: Record<string, { username: string; groups?: string[]; audiences?: string[] }>;
  /** Allowed (user or group, verb, namespace) triples: "alice@example.com get team-a", "group:team-b list team-b". */
  grants: string[];
  namespaces: { name: string; labels: Record<string, string> }[];
}

export interface ReceivedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/**
 * A small HTTP server that speaks the Kubernetes API's JSON for the three requests tenancy
 * makes (TokenReview, SubjectAccessReview, namespace list), so the real
 * @kubernetes/client-node runs against it. It records every request and checks the
 * client's own bearer token, as an API server would.
 */
export class FakeKubernetesApi {
  readonly requests: ReceivedRequest[] = [];
  private server?: http.Server;
  private dir?: string;
  port = 0;
  /** Answer every request with this HTTP status instead (e.g. 500, 503). */
  failWith?: number;
  static readonly CLIENT_TOKEN = 'mlmd-server-sa-token';

  constructor(readonly cluster: FakeCluster) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.answer(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** A kubeconfig file pointing at this server (or at `port`, e.g. a closed one). */
  kubeconfig(port = this.port): string {
    this.dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-kube-'));
    const file = path.join(this.dir, `kubeconfig-${port}.yaml`);
    fs.writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        // client-node speaks plain HTTP only to a cluster marked insecure; TLS is beside the point here.
        `- name: fake\n  cluster:\n    server: http://127.0.0.1:${port}\n    insecure-skip-tls-verify: true`,
        'users:',
        `- name: mlmd\n  user:\n    token: ${FakeKubernetesApi.CLIENT_TOKEN}`,
        'contexts:',
        '- name: fake\n  context:\n    cluster: fake\n    user: mlmd',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return file;
  }

  count(pathPrefix: string): number {
    return this.requests.filter((r) => r.path.startsWith(pathPrefix)).length;
  }

  private answer(req: http.IncomingMessage, text: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const body = text ? (JSON.parse(text) as Record<string, any>) : undefined;
    this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization, body });
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (this.failWith) return send(this.failWith, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'etcd is down', code: this.failWith });
    if (req.headers.authorization !== `Bearer ${FakeKubernetesApi.CLIENT_TOKEN}`) {
      return send(401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 });
    }
    if (req.method === 'POST' && url.pathname === '/apis/authentication.k8s.io/v1/tokenreviews') {
      const spec = body?.spec ?? {};
      const known = this.cluster.tokens[spec.token];
      const wanted: string[] = spec.audiences ?? [];
      const audiences = known?.audiences ?? [];
      const ok = !!known && (wanted.length === 0 || wanted.some((a) => audiences.includes(a)));
      return send(201, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec,
        status: ok ? { authenticated: true, user: { username: known.username, groups: known.groups ?? [] }, audiences: wanted.filter((a) => audiences.includes(a)) } : { authenticated: false, error: 'invalid token' },
      });
    }
    if (req.method === 'POST' && url.pathname === '/apis/authorization.k8s.io/v1/subjectaccessreviews') {
      const spec = body?.spec ?? {};
      const a = spec.resourceAttributes ?? {};
      const rightResource = a.group === 'pipelines.kubeflow.org' && a.resource === 'runs';
      const subjects = [spec.user, ...((spec.groups as string[]) ?? []).map((g) => `group:${g}`)];
      const allowed = rightResource && subjects.some((s) => this.cluster.grants.includes(`${s} ${a.verb} ${a.namespace}`));
      return send(201, { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec, status: { allowed } });
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/namespaces') {
      const selector = url.searchParams.get('labelSelector');
      const [key, value] = selector ? selector.split('=') : [];
      const items = this.cluster.namespaces
        .filter((n) => !selector || n.labels[key] === value)
        .map((n) => ({ metadata: { name: n.name, labels: n.labels } }));
      return send(200, { apiVersion: 'v1', kind: 'NamespaceList', metadata: {}, items });
    }
    send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
  }
}
