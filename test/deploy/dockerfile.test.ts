import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The Dockerfile cannot be built here (no Docker engine), so this checks what a reviewer
 * would: what the build stage copies exists and passes .dockerignore, what the runtime stage
 * copies out of the build stage exists after `npm run build`'s steps, and the image's entry
 * point starts the server from that layout — with upstream's GRPC_PORT and
 * METADATA_STORE_SERVER_CONFIG_FILE environment, with gRPC reflection's descriptor sets and
 * the proto/ files the config-file parser reads found where the image puts them.
 */

const ROOT = path.join(__dirname, '../..');
const DOCKERFILE = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const ENTRYPOINT_SCRIPT = path.join(ROOT, 'deploy/image/metadata_store_server');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions per stage; continuation lines joined, comments dropped. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op, rest] = /^(\S+)\s+(.*)$/.exec(line)!;
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      const [from, , name] = rest.split(/\s+/);
      stages.push({ from, name, instructions: [] });
    } else if (stages.length === 0 && upper === 'ARG') {
      const [k, v] = rest.split('=');
      globalArgs[k] = v;
    } else stages[stages.length - 1].instructions.push({ op: upper, args: rest.replace(/\s+/g, ' ') });
  }
  return { args: globalArgs, stages };
}

/** COPY's flags, sources and destination. */
function copyParts(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(' ');
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] };
}

/** .dockerignore semantics for the patterns we use: last matching line wins; a match on a directory covers what is below it. */
function dockerIgnored(relPath: string): boolean {
  const lines = fs
    .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const toRegex = (pattern: string) =>
    new RegExp(
      '^' +
        pattern
          .replace(/\/$/, '')
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '\u0000')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')
          .replace(/\u0000/g, '(?:.*/)?') +
        '$',
    );
  const prefixes = relPath.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const line of lines) {
    const negated = line.startsWith('!');
    const re = toRegex(negated ? line.slice(1) : line);
    if (prefixes.some((p) => re.test(p))) ignored = !negated;
  }
  return ignored;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const { args: globalArgs, stages } = parseDockerfile(DOCKERFILE);
const build = stages.find((s) => s.name === 'build')!;
const runtime = stages[stages.length - 1];

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage on the same Debian-based Node 20 image', () => {
    expect(stages).toHaveLength(2);
    expect(build).toBeDefined();
    expect(globalArgs.NODE_IMAGE).toMatch(/^node:20-(bookworm|bullseye)-slim$/);
    expect(build.from).toBe('${NODE_IMAGE}');
    expect(runtime.from).toBe('${NODE_IMAGE}');
  });

  it('build stage: compiles better-sqlite3 from source with a toolchain, and the prepare script finds its inputs', () => {
    const ops = build.instructions;
    const apt = ops.find((i) => i.op === 'RUN' && i.args.includes('apt-get install'))!;
    for (const pkg of ['python3', 'make', 'g++']) expect(apt.args.split(' ')).toContain(pkg);
    expect(ops.find((i) => i.op === 'ENV')!.args).toContain('npm_config_build_from_source=true');
    // better-sqlite3's install script: prebuild-install, falling back to node-gyp.
    const installScript = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')).scripts.install;
    expect(installScript).toMatch(/prebuild-install \|\| node-gyp rebuild/);

    const npmCi = ops.findIndex((i) => i.op === 'RUN' && /^npm ci\b/.test(i.args));
    expect(npmCi).toBeGreaterThan(0);
    const copiedBefore = ops.slice(0, npmCi).filter((i) => i.op === 'COPY').flatMap((i) => copyParts(i.args).sources);
    // `npm ci` runs `prepare` = `npm run generate` (buf generate with these inputs).
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.prepare).toBe('npm run generate');
    for (const needed of ['package.json', 'package-lock.json', 'buf.yaml', 'buf.gen.yaml', 'proto']) expect(copiedBefore).toContain(needed);

    const runBuild = ops.find((i) => i.op === 'RUN' && i.args.startsWith('npm run build'))!;
    expect(runBuild.args).toContain('test -f dist/src/main.js');
    expect(ops.some((i) => i.op === 'RUN' && i.args.includes('npm prune --omit=dev'))).toBe(true);
  });

  it('everything copied from the build context exists and is not excluded by .dockerignore', () => {
    const fromContext = stages.flatMap((s) => s.instructions.filter((i) => i.op === 'COPY' && !copyParts(i.args).from));
    expect(fromContext.length).toBeGreaterThan(3);
    for (const copy of fromContext) {
      for (const source of copyParts(copy.args).sources) {
        expect(fs.existsSync(path.join(ROOT, source)), source).toBe(true);
        expect(dockerIgnored(source), `${source} is excluded by .dockerignore`).toBe(false);
      }
    }
    // The host's build output and dependencies (possibly for another platform) stay out.
    for (const host of ['node_modules', 'dist', 'src/generated', '.venv', 'data', 'test']) expect(dockerIgnored(host), host).toBe(true);
    expect(dockerIgnored('src/main.ts')).toBe(false);
  });

  it('runtime stage: non-root, upstream\'s environment variables, the ports, exec-form entry point installed from deploy/image', () => {
    const ops = runtime.instructions;
    const user = ops.filter((i) => i.op === 'USER').pop()!;
    expect(user.args).toMatch(/^[1-9]\d*(:\d+)?$/);
    const env = ops.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
    expect(env).toContain('GRPC_PORT=8080');
    expect(env).toContain('METADATA_STORE_SERVER_CONFIG_FILE=""');
    expect(ops.find((i) => i.op === 'EXPOSE')!.args.split(' ')).toEqual(['8080', '9464']);
    expect(ops.find((i) => i.op === 'WORKDIR')!.args).toBe('/app');

    const entrypoint = JSON.parse(ops.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    expect(entrypoint).toEqual(['/bin/metadata_store_server']);
    const install = ops.map((i) => (i.op === 'COPY' ? copyParts(i.args) : undefined)).find((c) => c?.dest === entrypoint[0])!;
    expect(install.sources).toEqual(['deploy/image/metadata_store_server']);
    expect(ops.some((i) => i.op === 'RUN' && i.args.includes(`chmod 0755 ${entrypoint[0]}`))).toBe(true);
    expect(fs.statSync(ENTRYPOINT_SCRIPT).mode & 0o111).not.toBe(0);
    expect(spawnSync('sh', ['-n', ENTRYPOINT_SCRIPT]).status).toBe(0);
    expect(fs.readFileSync(ENTRYPOINT_SCRIPT, 'utf8')).toMatch(/^exec node "\$\{MLMD_HOME:-\/app\}\/dist\/src\/main\.js"/m);
  });

  describe('the runtime layout assembled as the Dockerfile copies it', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-image-'));
    const buildDir = path.join(work, 'build');
    const app = path.join(work, 'app');
    const children: ReturnType<typeof spawn>[] = [];

    beforeAll(() => {
      // The build stage's /app: the repository, with dist/ freshly compiled as `npm run build` does.
      const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(buildDir, 'dist')], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 280_000,
      });
      if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`);
      const fromBuildStage = (p: string) => {
        const rel = path.relative('/app', p);
        return rel === 'dist' || rel.startsWith('dist/') ? path.join(buildDir, rel) : path.join(ROOT, rel);
      };
      for (const copy of runtime.instructions.filter((i) => i.op === 'COPY').map((i) => copyParts(i.args))) {
        if (copy.from !== 'build') continue;
        const dest = path.resolve('/app', copy.dest);
        for (const source of copy.sources) {
          const from = fromBuildStage(source);
          if (!fs.existsSync(from)) throw new Error(`COPY --from=build ${source}: missing after the build`);
          const target = path.join(app, path.relative('/app', copy.dest.endsWith('/') ? path.join(dest, path.basename(source)) : dest));
          fs.mkdirSync(path.dirname(target), { recursive: true });
          if (path.basename(source) === 'node_modules') fs.symlinkSync(from, target);
          else fs.cpSync(from, target, { recursive: true });
        }
      }
    }, 300_000);

    afterAll(() => {
      for (const child of children) child.kill('SIGKILL');
      fs.rmSync(work, { recursive: true, force: true });
    });

    it('holds the entry point\'s target, the migrations, proto/ and both descriptor sets', () => {
      for (const rel of ['dist/src/main.js', 'dist/migrations/index.js', 'proto/ml_metadata/proto/metadata_store_service.proto', 'src/generated/mlmd_descriptors.binpb', 'src/generated/health_descriptors.binpb', 'package.json']) {
        expect(fs.existsSync(path.join(app, rel)), rel).toBe(true);
      }
      // Reflection and the config-file parser, loaded from the layout, find their files in it.
      const probe = spawnSync(
        process.execPath,
        ['-e', `const r = require('./dist/src/transport/reflection.js'); const p = require('./dist/src/config/proto_files.js'); console.log(JSON.stringify({ descriptors: r.loadFileDescriptorProtos()?.length ?? 0, protoDir: p.protoDir() }));`],
        { cwd: app, encoding: 'utf8' },
      );
      expect(probe.status, probe.stderr).toBe(0);
      const found = JSON.parse(probe.stdout);
      expect(found.descriptors).toBeGreaterThan(3);
      expect(found.protoDir).toBe(path.join(app, 'proto'));
    });

    async function startEntrypoint(env: Record<string, string>, args: string[]) {
      const child = spawn('sh', [ENTRYPOINT_SCRIPT, ...args], {
        cwd: app,
        env: { PATH: process.env.PATH, MLMD_HOME: app, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      let exitCode: number | null | undefined;
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exitCode = code))));
      // Polled until the server says it listens; fails at once if it exited instead.
      const output = () => {
        if (exitCode !== undefined) throw new Error(`the server exited with ${exitCode}: ${out}`);
        return out;
      };
      return { child, exited, output };
    }

    it('GRPC_PORT and METADATA_STORE_SERVER_CONFIG_FILE configure the server as in upstream\'s image', async () => {
      const port = await freePort();
      const db = path.join(work, 'from-config-file.sqlite');
      const config = path.join(work, 'server.pbtxt');
      fs.writeFileSync(config, `connection_config { sqlite { filename_uri: "${db}" connection_mode: READWRITE_OPENCREATE } }\n`);
      const server = await startEntrypoint({ GRPC_PORT: String(port), METADATA_STORE_SERVER_CONFIG_FILE: config }, ['--metrics_port=0']);
      await expect.poll(server.output, { timeout: 60_000, interval: 100 }).toContain(`on port ${port}`);
      expect(server.output()).not.toContain('reflection is off');
      expect(fs.existsSync(db)).toBe(true);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    });

    it('flags given to the container win over GRPC_PORT, and an empty METADATA_STORE_SERVER_CONFIG_FILE is no config file', async () => {
      const port = await freePort();
      const db = path.join(work, 'from-flag.sqlite');
      // Port 1 would fail to bind; the server must take --grpc_port instead.
      const server = await startEntrypoint({ GRPC_PORT: '1', METADATA_STORE_SERVER_CONFIG_FILE: '' }, [`--grpc_port=${port}`, `--sqlite_path=${db}`, '--metrics_port=0']);
      await expect.poll(server.output, { timeout: 60_000, interval: 100 }).toContain(`on port ${port}`);
      expect(fs.existsSync(db)).toBe(true);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    });
  });
});
