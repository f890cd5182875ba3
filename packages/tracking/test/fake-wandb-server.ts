/**
 * A minimal stand-in for the W&B API on 127.0.0.1 that records what @wandb/sdk sends: the GraphQL
 * queries (Viewer, UpsertBucket) and the file_stream posts. Only what the SDK 0.5 calls is answered.
 * `failWith` makes every request answer that HTTP status; `failUpsertWith` only the run creation;
 * `silent` accepts requests and never answers.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: any;
}

export interface FakeWandbServer {
  url: string;
  requests: RecordedRequest[];
  /** Variables of every UpsertBucket mutation. */
  upserts(): Record<string, any>[];
  /** Every history row posted to file_stream, parsed, in order. */
  history(): Record<string, any>[];
  /** Whether a file_stream post with `complete: true` arrived. */
  completed(): boolean;
  close(): Promise<void>;
}

export async function startFakeWandb(options: { failWith?: number; failUpsertWith?: number; silent?: boolean; entity?: string } = {}): Promise<FakeWandbServer> {
  const requests: RecordedRequest[] = [];
  const entity = options.entity ?? 'test-entity';
  const server: Server = createServer(async (req, res) => {
    const text = await readBody(req);
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep raw text
    }
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
    if (options.silent) return;
    res.setHeader('content-type', 'application/json');
    if (options.failWith !== undefined) {
      res.statusCode = options.failWith;
      res.end(JSON.stringify({ error: 'injected failure' }));
      return;
    }
    if (req.url === '/graphql') {
      const query: string = body?.query ?? '';
      if (query.includes('Viewer')) {
        res.end(JSON.stringify({ data: { viewer: { id: 'u1', entity, flags: '{}', teams: { edges: [] } } } }));
      } else if (query.includes('UpsertBucket') && options.failUpsertWith !== undefined) {
        res.statusCode = options.failUpsertWith;
        res.end(JSON.stringify({ errors: [{ message: 'injected upsert failure' }] }));
      } else if (query.includes('UpsertBucket')) {
        const v = body.variables;
        res.end(JSON.stringify({
          data: {
            upsertBucket: {
              inserted: true,
              bucket: {
                id: 'b1', name: v.name, displayName: v.displayName ?? v.name, description: null, config: v.config, sweepName: null,
                project: { id: 'p1', name: v.project, entity: { id: 'e1', name: v.entity } },
              },
            },
          },
        }));
      } else {
        res.end(JSON.stringify({ data: {} }));
      }
      return;
    }
    if (/^\/files\/[^/]+\/[^/]+\/[^/]+\/file_stream$/.test(req.url ?? '')) {
      res.end(JSON.stringify({ exitcode: null, limits: {} }));
      return;
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    upserts: () => requests.filter((r) => r.url === '/graphql' && String(r.body?.query).includes('UpsertBucket')).map((r) => r.body.variables),
    history: () =>
      requests
        .filter((r) => r.url.endsWith('/file_stream'))
        .flatMap((r) => (r.body?.files?.['wandb-history.jsonl']?.content ?? []) as string[])
        .map((line) => JSON.parse(line)),
    completed: () => requests.some((r) => r.url.endsWith('/file_stream') && r.body?.complete === true),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
