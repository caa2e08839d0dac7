import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadServerSettings, type ServerSettings } from '../../src/config';

/**
 * The Kubernetes manifests under deploy/: every file parses, the objects refer to each other
 * consistently (labels, selectors, names, ports), and the Deployment's container args, with
 * Kubernetes' $(VAR) expansion applied, are accepted by our own flag parser with the meaning
 * intended.
 */

const ROOT = path.join(__dirname, '../..');
const DEPLOY = path.join(ROOT, 'deploy');

/** Kubeflow Pipelines' args for upstream's server (metadata-grpc-deployment), verbatim. */
const KFP_ARGS = [
  '--grpc_port=8080',
  '--mysql_config_database=$(MYSQL_DATABASE)',
  '--mysql_config_host=$(MYSQL_HOST)',
  '--mysql_config_port=$(MYSQL_PORT)',
  '--mysql_config_user=$(DBCONFIG_USER)',
  '--mysql_config_password=$(DBCONFIG_PASSWORD)',
  '--enable_database_upgrade=true',
];
const KFP_IMAGE = 'gcr.io/tfx-oss-public/ml_metadata_store_server';
const KFP_COMMAND = '/bin/metadata_store_server';

// Loose shapes: the manifests are data; each test states what it relies on.
/* eslint-disable @typescript-eslint/no-explicit-any */
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: any };

function yamlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(dir, e.name)] : []));
}

function parseYaml(text: string, where: string): any[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  return docs.map((d) => d.toJS()).filter((d) => d != null);
}

function load(file: string): any[] {
  return parseYaml(fs.readFileSync(file, 'utf8'), path.relative(ROOT, file));
}

/** The objects a kustomization lists under `resources:` (local files only). */
function kustomizationResources(dir: string): K8sObject[] {
  const [k] = load(path.join(dir, 'kustomization.yaml'));
  return (k.resources as string[]).flatMap((r) => load(path.join(dir, r)));
}

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/**
 * The container's environment as Kubernetes would build it: literal values, ConfigMap keys
 * from the given objects, and stand-in values for Secret keys.
 */
function containerEnv(container: any, objects: K8sObject[], secrets: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.configMapKeyRef) {
      const { name, key } = e.valueFrom.configMapKeyRef;
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
      expect(cm, `ConfigMap ${name} for ${e.name}`).toBeDefined();
      expect(cm!.data, `ConfigMap ${name} key ${key}`).toHaveProperty(key);
      env[e.name] = String(cm!.data[key]);
    } else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      expect(secrets, `stand-in for Secret ${name} key ${key}`).toHaveProperty(`${name}/${key}`);
      env[e.name] = secrets[`${name}/${key}`];
    } else throw new Error(`env ${e.name}: unsupported source`);
  }
  return env;
}

/**
 * Kubernetes' expansion of $(VAR) in args: defined variables are replaced, `$$` escapes, and
 * an undefined reference is left as it is (which would reach the server literally).
 */
function expandArgs(args: string[], env: Record<string, string>): string[] {
  return args.map((a) => a.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name?: string) => (m === '$$' ? '$' : name !== undefined && name in env ? env[name] : m)));
}

function settingsOf(args: string[], env: Record<string, string>): ServerSettings {
  const result = loadServerSettings(args, env);
  if (result.kind !== 'settings') throw new Error('unexpected --help');
  return result.settings;
}

function flagValue(args: string[], flag: string): string | undefined {
  const hit = args.filter((a) => a.startsWith(`--${flag}=`)).pop();
  return hit?.slice(flag.length + 3);
}

/** A port reference (number or name) resolved against the container's ports. */
function containerPort(container: any, ref: number | string): number {
  if (typeof ref === 'number') return ref;
  const port = (container.ports as any[]).find((p) => p.name === ref);
  expect(port, `container port named ${ref}`).toBeDefined();
  return port.containerPort;
}

const BASE = path.join(DEPLOY, 'base');
const OVERLAY = path.join(DEPLOY, 'overlays/kubeflow');

/**
 * Stand-ins for the KFP metadata objects the overlay changes, shaped as KFP ships them
 * (manifests/kustomize/base/metadata/base): the server, its Envoy and the Envoy's Service.
 */
function kfpMetadataObjects(): K8sObject[] {
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'metadata-grpc-deployment', labels: { component: 'metadata-grpc-server' } },
      spec: {
        selector: { matchLabels: { component: 'metadata-grpc-server' } },
        template: {
          metadata: { labels: { component: 'metadata-grpc-server' } },
          spec: { containers: [{ name: 'container', image: `${KFP_IMAGE}:1.14.0`, command: [KFP_COMMAND], args: [...KFP_ARGS], ports: [{ name: 'grpc-api', containerPort: 8080 }] }] },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'metadata-envoy-deployment', labels: { component: 'metadata-envoy' } },
      spec: {
        selector: { matchLabels: { component: 'metadata-envoy' } },
        template: { metadata: { labels: { component: 'metadata-envoy' } }, spec: { containers: [{ name: 'container', image: 'gcr.io/ml-pipeline/metadata-envoy:2.17.0' }] } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'metadata-envoy-service', labels: { app: 'metadata-envoy' } },
      spec: { selector: { component: 'metadata-envoy' }, type: 'ClusterIP', ports: [{ port: 9090, protocol: 'TCP', name: 'md-envoy' }] },
    },
  ];
}

/**
 * The overlay's patches applied as kustomize applies them, for the two forms used: a
 * strategic-merge `$patch: delete` of a named object, and JSON 6902 add/replace operations
 * on a target (paths of object keys, array indexes and `-` for appending).
 */
function applyOverlayPatches(kustomization: any, objects: K8sObject[]): K8sObject[] {
  let out = structuredClone(objects);
  for (const patch of kustomization.patches as { path: string; target?: { kind: string; name: string } }[]) {
    const [doc] = load(path.join(OVERLAY, patch.path));
    if (!patch.target) {
      expect(doc.$patch, patch.path).toBe('delete');
      const before = out.length;
      out = out.filter((o) => !(o.kind === doc.kind && o.metadata.name === doc.metadata.name));
      expect(out.length, `${patch.path} deletes an object`).toBe(before - 1);
      continue;
    }
    const target = out.find((o) => o.kind === patch.target!.kind && o.metadata.name === patch.target!.name);
    expect(target, `${patch.path} target`).toBeDefined();
    for (const op of doc as unknown as { op: string; path: string; value: unknown }[]) {
      const keys = op.path.split('/').slice(1);
      const last = keys.pop()!;
      const parent = keys.reduce((node: any, key) => node[Array.isArray(node) ? Number(key) : key], target);
      expect(parent, `${patch.path} ${op.path}`).toBeDefined();
      if (op.op === 'add' && Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
      else if (op.op === 'add' || op.op === 'replace') parent[last] = op.value;
      else throw new Error(`${patch.path}: unsupported op ${op.op}`);
    }
  }
  return out;
}
const SECRETS = { 'mlmd-db-credentials/username': 'mlmd', 'mlmd-db-credentials/password': 'pa$$ word' };

describe('deploy/ manifests', () => {
  it('every YAML file under deploy/ parses', () => {
    const files = yamlFiles(DEPLOY);
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const file of files) {
      const docs = load(file);
      expect(docs.length, path.relative(ROOT, file)).toBeGreaterThan(0);
      for (const doc of docs) {
        if (Array.isArray(doc)) {
          // A JSON 6902 patch (overlays/*/patches): a list of operations.
          for (const op of doc) expect(op, path.relative(ROOT, file)).toMatchObject({ op: expect.any(String), path: expect.stringMatching(/^\//) });
          continue;
        }
        expect(doc.apiVersion, path.relative(ROOT, file)).toEqual(expect.any(String));
        expect(doc.kind, path.relative(ROOT, file)).toEqual(expect.any(String));
      }
    }
  });

  it('every kustomization lists only files that exist', () => {
    for (const file of yamlFiles(DEPLOY).filter((f) => path.basename(f) === 'kustomization.yaml')) {
      const [k] = load(file);
      for (const r of [...(k.resources ?? []), ...(k.components ?? [])] as string[]) {
        if (/^https?:\/\//.test(r)) continue;
        expect(fs.existsSync(path.join(path.dirname(file), r)), `${path.relative(ROOT, file)}: ${r}`).toBe(true);
      }
    }
  });

  describe('base', () => {
    const objects = kustomizationResources(BASE);
    const deployment = only(objects, 'Deployment');
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0];
    const env = containerEnv(container, objects, SECRETS);
    const args = expandArgs(container.args, env);
    const settings = settingsOf(args, env);

    it('holds the expected kinds, all carrying the component labels', () => {
      expect(objects.map((o) => o.kind).sort()).toEqual(
        ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'ServiceAccount'].sort(),
      );
      for (const o of objects) expect(matches(deployment.spec.selector.matchLabels, o.metadata.labels), `${o.kind} labels`).toBe(true);
    });

    it('runs at least 3 replicas whose pods the selector, Service, PDB and HPA all find', () => {
      expect(deployment.spec.replicas).toBeGreaterThanOrEqual(3);
      expect(pod.spec.containers).toHaveLength(1);
      const selector = deployment.spec.selector.matchLabels;
      expect(Object.keys(selector).length).toBeGreaterThan(0);
      expect(matches(selector, pod.metadata.labels)).toBe(true);

      const service = only(objects, 'Service');
      expect(matches(service.spec.selector, pod.metadata.labels)).toBe(true);

      const pdb = only(objects, 'PodDisruptionBudget');
      expect(pdb.apiVersion).toBe('policy/v1');
      expect(pdb.spec.selector.matchLabels).toEqual(selector);
      // With maxUnavailable 1 and at least 3 replicas, a drain never empties the Service.
      expect(pdb.spec.maxUnavailable).toBe(1);

      const hpa = only(objects, 'HorizontalPodAutoscaler');
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(3);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
      // Utilisation is relative to the request, so the request must exist.
      expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
      expect(container.resources.requests.cpu).toBeDefined();
      expect(container.resources.limits.memory).toBeDefined();

      const sa = only(objects, 'ServiceAccount');
      expect(pod.spec.serviceAccountName).toBe(sa.metadata.name);
    });

    it('container args: KFP\'s, minus the password flag, which comes from the Secret through MLMD_MYSQL_PASSWORD', () => {
      const kfpWithoutPassword = KFP_ARGS.filter((a) => !a.startsWith('--mysql_config_password='));
      expect(container.args.slice(0, kfpWithoutPassword.length)).toEqual(kfpWithoutPassword);
      expect(container.args.some((a: string) => a.startsWith('--mysql_config_password'))).toBe(false);
      const password = container.env.find((e: any) => e.name === 'MLMD_MYSQL_PASSWORD');
      expect(password.valueFrom.secretKeyRef).toEqual({ name: 'mlmd-db-credentials', key: 'password' });
      // No command: the image's entry point runs the server.
      expect(container.command).toBeUndefined();
    });

    it('every $(VAR) in the args is defined in the container env, so none reaches the server literally', () => {
      for (const a of args) expect(a).not.toMatch(/\$\(/);
    });

    it('our flag parser accepts the expanded args and reads MySQL, the Secret\'s password and the upgrade flag', () => {
      expect(settings.grpcPort).toBe(8080);
      expect(settings.database).toMatchObject({
        kind: 'mysql',
        host: env.MYSQL_HOST,
        port: Number(env.MYSQL_PORT),
        database: env.MYSQL_DATABASE,
        user: 'mlmd',
        password: 'pa$$ word',
      });
      expect(settings.schema.enableUpgrade).toBe(true);
      expect(settings.channelArguments).toMatchObject({ 'grpc.max_connection_age_ms': expect.any(Number) });
    });

    it('ports: the Service exposes grpc 8080 and the metrics port, both targeting named container ports', () => {
      const service = only(objects, 'Service');
      const byName = Object.fromEntries((service.spec.ports as any[]).map((p) => [p.name, p]));
      expect(byName.grpc.port).toBe(8080);
      expect(byName.grpc.appProtocol).toBe('grpc');
      expect(containerPort(container, byName.grpc.targetPort)).toBe(settings.grpcPort);
      expect(containerPort(container, byName.metrics.targetPort)).toBe(settings.metricsPort);
      expect(settings.metricsPort).toBeGreaterThan(0);
      expect(pod.metadata.annotations['prometheus.io/port']).toBe(String(settings.metricsPort));
      expect(pod.metadata.annotations['prometheus.io/path']).toBe('/metrics');
      // gRPC-web and JSON on 9090, where Kubeflow's UI expects metadata-envoy-service.
      expect(byName['grpc-web'].port).toBe(9090);
      expect(containerPort(container, byName['grpc-web'].targetPort)).toBe(settings.web?.port);
      expect(settings.web).toEqual({ port: 9090, corsAllowedOrigins: [] });
    });

    it('probes: startup and readiness ask gRPC health on the gRPC port; liveness asks /metrics, independent of the database', () => {
      for (const probe of [container.startupProbe, container.readinessProbe]) {
        expect(probe.grpc.port).toBe(settings.grpcPort);
        expect(probe.grpc.service).toBe('');
      }
      // Room for schema migrations before liveness takes over.
      expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBeGreaterThanOrEqual(120);
      expect(container.livenessProbe.httpGet.path).toBe('/metrics');
      expect(containerPort(container, container.livenessProbe.httpGet.port)).toBe(settings.metricsPort);
    });

    it('shutdown: the termination grace period covers preStop plus --shutdown_grace_seconds with a margin', () => {
      const preStop = container.lifecycle.preStop.exec.command;
      expect(preStop[0]).toBe('sleep');
      const preStopSeconds = Number(preStop[1]);
      expect(preStopSeconds).toBeGreaterThan(0);
      expect(settings.shutdownGraceMs).toBe(Number(flagValue(args, 'shutdown_grace_seconds')) * 1000);
      expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStopSeconds + settings.shutdownGraceMs / 1000 + 3);
    });

    it('security: non-root uid 1000 (the image\'s user), read-only root with a writable /tmp, no capabilities', () => {
      expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      const tmp = container.volumeMounts.find((m: any) => m.mountPath === '/tmp');
      expect(pod.spec.volumes.find((v: any) => v.name === tmp.name).emptyDir).toBeDefined();
      const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
      expect(dockerfile).toMatch(new RegExp(`^USER ${pod.spec.securityContext.runAsUser}(:|\\s|$)`, 'm'));
    });

    it('the image the kustomization sets is the placeholder the Deployment names', () => {
      const [k] = load(path.join(BASE, 'kustomization.yaml'));
      expect(k.images.map((i: any) => i.name)).toEqual([container.image]);
    });
  });

  describe('components', () => {
    const base = kustomizationResources(BASE);
    const deployment = only(base, 'Deployment');
    const service = only(base, 'Service');
    const container = deployment.spec.template.spec.containers[0];

    it('are kustomize Components', () => {
      for (const dir of ['prometheus-operator', 'network-policy']) {
        const [k] = load(path.join(DEPLOY, 'components', dir, 'kustomization.yaml'));
        expect(k.kind).toBe('Component');
      }
    });

    it('the ServiceMonitor selects the Service and scrapes its metrics port at /metrics', () => {
      const objects = kustomizationResources(path.join(DEPLOY, 'components/prometheus-operator'));
      const monitor = only(objects, 'ServiceMonitor');
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
      const [endpoint] = monitor.spec.endpoints;
      expect((service.spec.ports as any[]).map((p) => p.name)).toContain(endpoint.port);
      expect(endpoint.path).toBe('/metrics');
      const rule = only(objects, 'PrometheusRule');
      for (const r of rule.spec.groups.flatMap((g: any) => g.rules)) expect(r.expr).toContain('ml_metadata.MetadataStoreService');
    });

    it('the NetworkPolicy selects the pods and names ports the container has', () => {
      const policy = only(kustomizationResources(path.join(DEPLOY, 'components/network-policy')), 'NetworkPolicy');
      expect(matches(policy.spec.podSelector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
      const names = (container.ports as any[]).map((p) => p.name);
      for (const rule of policy.spec.ingress) for (const p of rule.ports) expect(names).toContain(p.port);
    });
  });

  describe('kubeflow overlay', () => {
    const [k] = load(path.join(DEPLOY, 'overlays/kubeflow/kustomization.yaml'));
    const [baseK] = load(path.join(BASE, 'kustomization.yaml'));

    it('takes KFP\'s own MLMD manifests and changes the server image, to ours, and the Envoy (patches)', () => {
      expect(Object.keys(k).sort()).toEqual(['apiVersion', 'images', 'kind', 'namespace', 'patches', 'resources']);
      for (const patch of k.patches) expect(fs.existsSync(path.join(OVERLAY, patch.path)), patch.path).toBe(true);
      expect(k.namespace).toBe('kubeflow');
      expect(k.resources).toHaveLength(1);
      expect(k.resources[0]).toMatch(/^https:\/\/github\.com\/kubeflow\/pipelines\/\/manifests\/kustomize\/base\/metadata\/base\?ref=\d+\.\d+\.\d+$/);
      expect(k.images).toEqual([{ name: KFP_IMAGE, newName: baseK.images[0].newName, newTag: baseK.images[0].newTag }]);
    });

    it('replaces metadata-envoy-deployment with our pods behind metadata-envoy-service (same name, same port)', () => {
      const objects = applyOverlayPatches(k, kfpMetadataObjects());
      expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
        ['Deployment/metadata-grpc-deployment', 'Service/metadata-envoy-service'].sort(),
      );
      const grpc = objects.find((o) => o.metadata.name === 'metadata-grpc-deployment')!;
      const envoyService = objects.find((o) => o.metadata.name === 'metadata-envoy-service')!;
      const container = grpc.spec.template.spec.containers[0];
      expect(envoyService.spec.ports).toEqual([{ port: 9090, protocol: 'TCP', name: 'md-envoy', targetPort: 'grpc-web' }]);
      expect(matches(envoyService.spec.selector, grpc.spec.template.metadata.labels)).toBe(true);
      expect(container.command).toEqual([KFP_COMMAND]);
      expect(container.args.slice(0, KFP_ARGS.length)).toEqual(KFP_ARGS);
      const env = { MYSQL_DATABASE: 'metadb', MYSQL_HOST: 'mysql', MYSQL_PORT: '3306', DBCONFIG_USER: 'root', DBCONFIG_PASSWORD: '' };
      const settings = settingsOf(expandArgs(container.args, env), {});
      expect(settings.grpcPort).toBe(8080);
      expect(settings.web).toEqual({ port: 9090, corsAllowedOrigins: ['*'] });
      expect(containerPort(container, envoyService.spec.ports[0].targetPort)).toBe(settings.web!.port);
    });

    it('KFP\'s command exists in our image: the Dockerfile installs /bin/metadata_store_server', () => {
      const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
      expect(dockerfile).toMatch(new RegExp(`^COPY deploy/image/metadata_store_server ${KFP_COMMAND}$`, 'm'));
    });

    it.each([
      ['an empty password (KFP\'s default mysql-secret)', ''],
      ['a password with shell and flag characters', 'p=w --x $y'],
    ])('our flag parser accepts KFP\'s exact args with %s', (_what, password) => {
      const env = { MYSQL_DATABASE: 'metadb', MYSQL_HOST: 'mysql.kubeflow.svc.cluster.local', MYSQL_PORT: '3306', DBCONFIG_USER: 'root', DBCONFIG_PASSWORD: password };
      const settings = settingsOf(expandArgs(KFP_ARGS, env), {});
      expect(settings.grpcPort).toBe(8080);
      expect(settings.database).toMatchObject({ kind: 'mysql', host: env.MYSQL_HOST, port: 3306, database: 'metadb', user: 'root' });
      expect((settings.database as { password?: string }).password ?? '').toBe(password);
      expect(settings.schema.enableUpgrade).toBe(true);
    });
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  describe.skipIf(!kubectl)('kubectl kustomize (skipped without kubectl)', () => {
    function kustomize(dir: string): K8sObject[] {
      const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.stderr}`);
      return parseYaml(r.stdout, dir);
    }

    it('builds the base with both components; the image becomes the published one', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-kustomize-'));
      fs.writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        [
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          // kustomize takes only relative paths.
          `resources: [${JSON.stringify(path.relative(dir, BASE))}]`,
          `components: [${JSON.stringify(path.relative(dir, path.join(DEPLOY, 'components/prometheus-operator')))}, ${JSON.stringify(path.relative(dir, path.join(DEPLOY, 'components/network-policy')))}]`,
          '',
        ].join('\n'),
      );
      try {
        const objects = kustomize(dir);
        expect(objects.map((o) => o.kind).sort()).toEqual(
          ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'PrometheusRule', 'Service', 'ServiceAccount', 'ServiceMonitor'].sort(),
        );
        const [k] = load(path.join(BASE, 'kustomization.yaml'));
        const container = only(objects, 'Deployment').spec.template.spec.containers[0];
        expect(container.image).toBe(`${k.images[0].newName}:${k.images[0].newTag}`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('the kubeflow overlay replaces the image and the Envoy of KFP-shaped manifests, keeping KFP\'s command and args', () => {
      const [overlay] = load(path.join(DEPLOY, 'overlays/kubeflow/kustomization.yaml'));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-kustomize-'));
      // Stands in for KFP's remote base, which this test cannot download.
      const kfpDeployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'metadata-grpc-deployment', labels: { component: 'metadata-grpc-server' } },
        spec: {
          selector: { matchLabels: { component: 'metadata-grpc-server' } },
          template: {
            metadata: { labels: { component: 'metadata-grpc-server' } },
            spec: { containers: [{ name: 'container', image: `${KFP_IMAGE}:1.14.0`, command: [KFP_COMMAND], args: KFP_ARGS }] },
          },
        },
      };
      const [, envoyDeployment, envoyService] = kfpMetadataObjects();
      kfpDeployment.spec.template.spec.containers[0] = { ...kfpDeployment.spec.template.spec.containers[0], ports: [{ name: 'grpc-api', containerPort: 8080 }] } as never;
      fs.writeFileSync(path.join(dir, 'kfp.yaml'), [kfpDeployment, envoyDeployment, envoyService].map((o) => JSON.stringify(o)).join('\n---\n'));
      fs.cpSync(path.join(OVERLAY, 'patches'), path.join(dir, 'patches'), { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        JSON.stringify({ ...overlay, resources: ['kfp.yaml'] }),
      );
      try {
        const objects = kustomize(dir);
        expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['Deployment/metadata-grpc-deployment', 'Service/metadata-envoy-service']);
        const deployment = only(objects, 'Deployment');
        const container = deployment.spec.template.spec.containers[0];
        expect(container.image).toBe(`${overlay.images[0].newName}:${overlay.images[0].newTag}`);
        expect(container.command).toEqual([KFP_COMMAND]);
        expect(container.args).toEqual([...KFP_ARGS, '--grpc_web_port=9090', '--grpc_web_cors_allowed_origins=*']);
        expect(container.ports).toContainEqual({ name: 'grpc-web', containerPort: 9090, protocol: 'TCP' });
        const service = only(objects, 'Service');
        expect(service.spec.selector).toEqual({ component: 'metadata-grpc-server' });
        expect(service.spec.ports).toEqual([{ port: 9090, protocol: 'TCP', name: 'md-envoy', targetPort: 'grpc-web' }]);
        expect(deployment.metadata.namespace).toBe('kubeflow');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
