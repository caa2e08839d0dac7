import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadServerSettings } from '../../src/config';

/**
 * deploy/components/kubeflow-tenancy: it parses, its patches apply to KFP's
 * metadata-grpc-deployment as patched by overlays/kubeflow, the server accepts the resulting
 * args with the shipped config file, and the RBAC, ConfigMap and AuthorizationPolicy agree
 * with the Deployment they are for.
 */
const ROOT = path.join(__dirname, '../..');
const COMPONENT = path.join(ROOT, 'deploy/components/kubeflow-tenancy');

/* eslint-disable @typescript-eslint/no-explicit-any */
function load(file: string): any[] {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
  return list.map((d) => d.toJS()).filter((d) => d != null);
}

const [kustomization] = load(path.join(COMPONENT, 'kustomization.yaml'));
const objects = (kustomization.resources as string[]).flatMap((r) => load(path.join(COMPONENT, r)));
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

/** KFP's metadata-grpc-deployment after overlays/kubeflow (its args and the gRPC-web port). */
function kfpDeployment(): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'metadata-grpc-deployment', labels: { component: 'metadata-grpc-server' } },
    spec: {
      selector: { matchLabels: { component: 'metadata-grpc-server' } },
      template: {
        metadata: { labels: { component: 'metadata-grpc-server' } },
        spec: {
          serviceAccountName: 'metadata-grpc-server',
          containers: [
            {
              name: 'container',
              args: ['--grpc_port=8080', '--grpc_web_port=9090', '--grpc_web_cors_allowed_origins=*'],
              ports: [{ name: 'grpc-api', containerPort: 8080 }, { name: 'grpc-web', containerPort: 9090 }],
            },
          ],
        },
      },
    },
  };
}

function patched(): any {
  const deployment = kfpDeployment();
  for (const patch of kustomization.patches) {
    expect(patch.target).toEqual({ kind: 'Deployment', name: 'metadata-grpc-deployment' });
    for (const op of load(path.join(COMPONENT, patch.path))[0] as { op: string; path: string; value: unknown }[]) {
      const keys = op.path.split('/').slice(1);
      const last = keys.pop()!;
      const parent = keys.reduce((node: any, key) => node[Array.isArray(node) ? Number(key) : key], deployment);
      expect(parent, op.path).toBeDefined();
      expect(op.op).toBe('add');
      if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
      else parent[last] = op.value;
    }
  }
  return deployment;
}

describe('deploy/components/kubeflow-tenancy', () => {
  it('is a kustomize Component whose files all exist', () => {
    expect(kustomization.kind).toBe('Component');
    for (const f of [...kustomization.resources, ...kustomization.patches.map((p: any) => p.path)]) expect(fs.existsSync(path.join(COMPONENT, f)), f).toBe(true);
  });

  it('the server accepts the patched args with the shipped config: audit mode, Kubeflow identities, SubjectAccessReview', () => {
    const deployment = patched();
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const [configMap] = byKind('ConfigMap');
    const mount = container.volumeMounts.find((m: any) => pod.volumes.find((v: any) => v.name === m.name)?.configMap?.name === configMap.metadata.name);
    expect(mount, 'the ConfigMap is mounted').toBeDefined();
    const flag = (container.args as string[]).find((a) => a.startsWith('--tenancy_config_file='))!;
    const file = flag.split('=')[1];
    expect(path.dirname(file)).toBe(mount.mountPath);
    // The file as the pod would see it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-tenancy-deploy-'));
    try {
      const local = path.join(dir, path.basename(file));
      fs.writeFileSync(local, configMap.data[path.basename(file)]);
      const args = (container.args as string[]).map((a) => (a === flag ? `--tenancy_config_file=${local}` : a));
      const result = loadServerSettings(args, {});
      if (result.kind !== 'settings') throw new Error('help');
      const t = result.settings.tenancy!;
      expect(t.mode).toBe('audit');
      expect(t.identity.userHeaders?.trustedPeerIdentities).toEqual([
        'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account',
        'spiffe://cluster.local/ns/kubeflow/sa/ml-pipeline-ui',
      ]);
      expect(t.identity.userHeaders?.trustedListeners).toEqual([]);
      expect(t.systemPrincipals).toContain('spiffe://cluster.local/ns/kubeflow/sa/ml-pipeline-ui');
      expect(t.authorization).toMatchObject({ kind: 'kubernetes', group: 'pipelines.kubeflow.org', resource: 'runs', readVerbs: ['get', 'list'], writeVerbs: ['create'] });
      expect(t.anonymous.grpc).toBe('allow');
      expect(pod.automountServiceAccountToken).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('RBAC: the pod\'s service account may create TokenReviews and SubjectAccessReviews and list namespaces', () => {
    const [role] = byKind('ClusterRole');
    const [binding] = byKind('ClusterRoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: kfpDeployment().spec.template.spec.serviceAccountName, namespace: 'kubeflow' }]);
    const allows = (group: string, resource: string, verb: string) =>
      role.rules.some((r: any) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    expect(allows('authentication.k8s.io', 'tokenreviews', 'create')).toBe(true);
    expect(allows('authorization.k8s.io', 'subjectaccessreviews', 'create')).toBe(true);
    expect(allows('', 'namespaces', 'list')).toBe(true);
  });

  it('AuthorizationPolicy: the gRPC-web port only from the identities trusted to relay users; gRPC as today', () => {
    const [policy] = byKind('AuthorizationPolicy');
    const deployment = patched();
    expect(Object.entries(policy.spec.selector.matchLabels).every(([k, v]) => deployment.spec.template.metadata.labels[k] === v)).toBe(true);
    const ports = (deployment.spec.template.spec.containers[0].ports as any[]).map((p) => String(p.containerPort));
    const web = policy.spec.rules.find((r: any) => r.to[0].operation.ports.includes('9090'));
    expect(ports).toContain('9090');
    const [configMap] = byKind('ConfigMap');
    const trusted = (load(path.join(COMPONENT, 'tenancy-configmap.yaml'))[0].data['tenancy.yaml'] as string).match(/spiffe:\/\/\S+/g)!;
    // Istio principals are SPIFFE ids without the scheme.
    for (const principal of web.from[0].source.principals) expect(trusted).toContain(`spiffe://${principal}`);
    expect(configMap).toBeDefined();
    const open = policy.spec.rules.find((r: any) => !r.from);
    expect(open.to[0].operation.ports).toContain('8080');
    expect(open.to[0].operation.ports).not.toContain('9090');
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!kubectl)('kubectl kustomize builds it over a KFP-shaped metadata-grpc-deployment (skipped without kubectl)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-kustomize-tenancy-'));
    try {
      fs.writeFileSync(path.join(dir, 'deployment.yaml'), JSON.stringify(kfpDeployment()));
      fs.writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'namespace: kubeflow', 'resources: [deployment.yaml]', `components: [${JSON.stringify(path.relative(dir, COMPONENT))}]`, ''].join('\n'),
      );
      const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const built = parseAllDocuments(r.stdout).map((d) => d.toJS());
      expect(built.map((o: any) => o.kind).sort()).toEqual(['AuthorizationPolicy', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment'].sort());
      const deployment = built.find((o: any) => o.kind === 'Deployment');
      expect(deployment.spec.template.spec.containers[0].args).toEqual(patched().spec.template.spec.containers[0].args);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
