import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { status as Status } from '@grpc/grpc-js';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GetArtifactTypeRequest,
  GetArtifactTypesResponse,
  GetArtifactTypesRequest,
} from '../../../src/generated/ml_metadata/proto/metadata_store_service';
import { createLogger } from '../../../src/observability/logger';
import { LogCapture } from '../../observability/log_capture';
import { serveWithWebPort, sqliteOnly } from './web_fixture';

/** Debian's chromium, installed by .ci/run; no browser is downloaded. */
const CHROMIUM = process.env.MLMD_TEST_CHROMIUM ?? '/usr/bin/chromium';
const missing = !fs.existsSync(CHROMIUM);
// Locally a machine without chromium skips with the reason in the title; in CI it fails.
const suite = missing && !process.env.CI ? describe.skip : describe;

/**
 * A real browser: a page served from one origin calls our gRPC-web port (another origin)
 * with the grpc-web runtime, as Kubeflow's UI does. The browser sends the CORS preflight
 * itself and enforces the answer; the bridge never reaches SQL differently per backend, so
 * this runs on SQLite.
 */
suite(`gRPC-web from a page on another origin in headless Chromium [sqlite]${missing ? ` (skipped: no ${CHROMIUM})` : ''}`, () => {
  const logs = new LogCapture();
  let pageServer: http.Server;
  let pagePort = 0;
  // The page's origin: localhost; the service is called at 127.0.0.1 (another origin).
  const allowedOrigin = () => `http://localhost:${pagePort}`;
  // The server reads its allow-list per request; each test fills it.
  const allowList: string[] = [];
  const ctx = serveWithWebPort(sqliteOnly, {
    corsAllowedOrigins: allowList,
    logger: createLogger({ level: 'debug', destination: logs }),
  });
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const html = fs.readFileSync(path.join(__dirname, 'browser', 'page.html'));
    const runtime = fs.readFileSync(require.resolve('grpc-web'));
    pageServer = http.createServer((req, res) => {
      if (req.url === '/grpc-web.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(runtime);
      else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    });
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    pagePort = (pageServer.address() as AddressInfo).port;
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in CI's container: Chromium's sandbox needs user namespaces it may not have.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => pageServer?.close(resolve));
  });

  /** Makes the service allow exactly `allowed`, and opens the page from `origin`. */
  async function open(origin: string, allowed: string[]): Promise<void> {
    allowList.splice(0, allowList.length, ...allowed);
    await page.goto(`${origin}/index.html`);
  }

  const call = (method: string, request: Uint8Array, format: 'text' | 'binary') =>
    page.evaluate(
      (base, m, b64, f) => (globalThis as unknown as { callMlmd: Function }).callMlmd(base, m, b64, f),
      `http://127.0.0.1:${ctx().webPort}`,
      method,
      Buffer.from(request).toString('base64'),
      format,
    ) as Promise<{ ok: true; response: string } | { ok: false; code: number; message: string }>;

  it('answers the preflight, then the call; the answer equals the gRPC one', async () => {
    await open(allowedOrigin(), [allowedOrigin()]);
    for (const format of ['text', 'binary'] as const) {
      const answer = await call('GetArtifactTypes', GetArtifactTypesRequest.encode({}).finish(), format);
      expect(answer.ok, JSON.stringify(answer)).toBe(true);
      const overGrpc = await ctx().callGrpc('getArtifactTypes', {});
      expect({ ok: true, response: GetArtifactTypesResponse.decode(Buffer.from((answer as { response: string }).response, 'base64')) }).toEqual(overGrpc);
    }
    const preflights = logs.lines.filter((l) => l.msg === 'CORS preflight answered' && l.origin === allowedOrigin());
    expect(preflights.length).toBeGreaterThanOrEqual(1);
    expect(preflights[0]).toMatchObject({ cors: 'allowed', path: '/ml_metadata.MetadataStoreService/GetArtifactTypes' });
  });

  it('reads an error from the answer: NOT_FOUND, code 5, message intact', async () => {
    await open(allowedOrigin(), [allowedOrigin()]);
    const request = { typeName: 'browser 100% ünïcode' };
    const overGrpc = await ctx().callGrpc('getArtifactType', request);
    const answer = await call('GetArtifactType', GetArtifactTypeRequest.encode(request).finish(), 'text');
    expect(answer).toEqual({ ok: false, code: Status.NOT_FOUND, message: (overGrpc as { details: string }).details });
  });

  it('a page on an origin not in the allow-list is refused at the preflight', async () => {
    await open(`http://127.0.0.1:${pagePort}`, [allowedOrigin()]);
    const answer = await call('GetArtifactTypes', GetArtifactTypesRequest.encode({}).finish(), 'text');
    expect(answer.ok).toBe(false);
    expect(logs.lines.some((l) => l.http_status === 403 && String(l.reason).includes(`origin http://127.0.0.1:${pagePort} is not allowed`))).toBe(true);
  });
});
