/**
 * postJson over the default client (nodeFetch, node:http) against a real HTTP server on 127.0.0.1:
 * a slow answer is awaited as long as the caller's deadline allows (no transport deadline of its
 * own: Node's fetch would give up after 300 s without headers), the deadline and the caller's abort
 * are told apart, and every server failure is a RolloutServerError naming the URL.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutServerError } from '../../src/rollout/errors.js';
import { nodeFetch, postJson } from '../../src/rollout/http.js';

let server: Server;
let base: string;
const received: { path: string; body: string; connection: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({ path, body: Buffer.concat(chunks).toString('utf8'), connection: req.headers.connection });
      const answer = (status: number, text: string) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text);
      };
      if (path === '/slow') setTimeout(() => answer(200, '{"late":true}'), 1500);
      else if (path === '/never') return; // holds the request open
      else if (path === '/error') answer(503, 'overloaded');
      else if (path === '/text') answer(200, 'Success: plain text');
      else if (path === '/cut') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"partial":');
        setTimeout(() => res.destroy(), 50);
      } else answer(200, JSON.stringify({ echo: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const failure = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => null, (e: unknown) => e);

describe('postJson over nodeFetch', () => {
  it('sends the JSON body and reads the JSON answer; one connection per request', async () => {
    const body = { prompt: [[1, 2, 3]], n: 2, text: 'é ü' };
    expect(await postJson(nodeFetch, `${base}/`, '/echo', body, { timeoutMs: 30_000, json: true })).toEqual({ echo: body });
    expect(received.at(-1)).toMatchObject({ path: '/echo', connection: 'close' });
    expect(await postJson(nodeFetch, base, '/text', {}, { timeoutMs: 30_000, json: false })).toBe('Success: plain text');
  });

  it('waits for a slow answer within the deadline', async () => {
    expect(await postJson(nodeFetch, base, '/slow', {}, { timeoutMs: 60_000, json: true })).toEqual({ late: true });
  });

  it('the deadline, an HTTP error, a cut answer and a refused connection are RolloutServerErrors naming the URL', async () => {
    const late = await failure(postJson(nodeFetch, base, '/never', {}, { timeoutMs: 300, json: true }));
    expect(late).toBeInstanceOf(RolloutServerError);
    expect((late as RolloutServerError).url).toBe(base);
    expect((late as Error).message).toBe(`POST ${base}/never failed: no answer within 0.3 s`);
    expect(((await failure(postJson(nodeFetch, base, '/error', {}, { timeoutMs: 30_000, json: true }))) as Error).message).toBe(`POST ${base}/error answered HTTP 503: overloaded`);
    const cut = await failure(postJson(nodeFetch, base, '/cut', {}, { timeoutMs: 30_000, json: true }));
    expect(cut).toBeInstanceOf(RolloutServerError);
    expect((cut as Error).message).toMatch(new RegExp(`^POST ${base}/cut failed: `));
    expect((cut as Error).message).not.toMatch(/no answer within/); // noticed when the socket closed, not at the deadline
    // A port nothing listens on: closed right after it was found free.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const closed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const refused = await failure(postJson(nodeFetch, closed, '/v1/completions', {}, { timeoutMs: 30_000, json: true }));
    expect(refused).toBeInstanceOf(RolloutServerError);
    expect((refused as Error).message).toMatch(new RegExp(`^POST ${closed}/v1/completions failed: .*ECONNREFUSED`));
  });

  it("the caller's abort rejects with the signal's reason, not as a server failure", async () => {
    const controller = new AbortController();
    const reason = new Error('stop requested');
    setTimeout(() => controller.abort(reason), 100);
    expect(await failure(postJson(nodeFetch, base, '/never', {}, { timeoutMs: 30_000, json: true, signal: controller.signal }))).toBe(reason);
  });
});
