/**
 * A small HTTP server on 127.0.0.1 that answers the hub routes `@huggingface/hub` requests (read from
 * its source: revision info, paths-info, resolve with a Range probe), so the download code is tested
 * over real HTTP, byte for byte, without huggingface.co. Test helper only.
 */
import { createHash } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One file of a served repository; `lfs` files are addressed by sha256 like HF's LFS/xet files. */
export interface ServedFile {
  path: string;
  content: Buffer;
  lfs?: boolean;
}

/** A served repository at one commit; `commit` may be changed between requests to simulate a push. */
export interface ServedRepo {
  type: 'model' | 'dataset';
  id: string;
  commit: string;
  files: ServedFile[];
}

/** What the server saw; tests assert on it. */
export interface LoggedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  range: string | undefined;
}

export interface HubServer {
  url: string;
  requests: LoggedRequest[];
  close(): Promise<void>;
}

/** The git blob id HF reports as `oid` for non-LFS files. */
export function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The etag the blob is stored under in the cache: sha256 for LFS files, git sha1 otherwise. */
export function etagOf(file: ServedFile): string {
  return file.lfs === true ? sha256(file.content) : gitBlobSha1(file.content);
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts the server. With `token`, every request must carry `Authorization: Bearer <token>`. With
 * `anyRevision`, every revision resolves to the repo's commit (a hostile or broken mirror).
 */
export async function startHubServer(repos: ServedRepo[], options: { token?: string; anyRevision?: boolean } = {}): Promise<HubServer> {
  const requests: LoggedRequest[] = [];
  const find = (kind: string, id: string): ServedRepo | undefined =>
    repos.find((repo) => `${repo.type}s` === kind && repo.id === id);
  const atRevision = (repo: ServedRepo, rev: string): boolean => options.anyRevision === true || rev === 'main' || rev === repo.commit;
  const date = '2024-01-01T00:00:00.000Z';

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({ method: req.method ?? '', url: url.pathname, authorization: req.headers.authorization, range: req.headers.range });
      if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
        return json(res, 401, { error: 'Invalid credentials in Authorization header' });
      }
      let m = /^\/api\/(models|datasets)\/(.+)\/revision\/([^/]+)$/.exec(url.pathname);
      if (m !== null && req.method === 'GET') {
        const repo = find(m[1], m[2]);
        if (repo === undefined) return json(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
        if (!atRevision(repo, decodeURIComponent(m[3]))) return json(res, 404, { error: 'Invalid rev id' }, { 'X-Error-Code': 'RevisionNotFound' });
        return json(res, 200, { _id: 'x', id: repo.id, sha: repo.commit, private: false, downloads: 0, likes: 0, gated: false, lastModified: date });
      }
      m = /^\/api\/(models|datasets)\/(.+)\/paths-info\/([^/]+)$/.exec(url.pathname);
      if (m !== null && req.method === 'POST') {
        const repo = find(m[1], m[2]);
        if (repo === undefined || !atRevision(repo, decodeURIComponent(m[3]))) return json(res, 404, { error: 'Repository not found' });
        const { paths } = JSON.parse(await readBody(req)) as { paths: string[] };
        const infos = repo.files
          .filter((file) => paths.includes(file.path))
          .map((file) => ({
            type: 'file',
            path: file.path,
            oid: gitBlobSha1(file.content),
            size: file.content.length,
            ...(file.lfs === true ? { lfs: { oid: sha256(file.content), size: file.content.length, pointerSize: 134 } } : {}),
            lastCommit: { id: repo.commit, title: 'Upload', date },
          }));
        return json(res, 200, infos);
      }
      m = /^\/(datasets\/)?(.+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
      if (m !== null && req.method === 'GET') {
        const repo = find(m[1] === undefined ? 'models' : 'datasets', m[2]);
        const file = repo?.files.find((f) => f.path === m![4]);
        if (repo === undefined || !atRevision(repo, decodeURIComponent(m[3])) || file === undefined) {
          return json(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
        }
        const headers = { ETag: `"${etagOf(file)}"`, 'X-Repo-Commit': repo.commit, 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes' };
        const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
        if (range !== null) {
          const start = Number(range[1]);
          const end = Math.min(Number(range[2]), file.content.length - 1);
          res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${file.content.length}` });
          return res.end(file.content.subarray(start, end + 1));
        }
        res.writeHead(200, { ...headers, 'Content-Length': String(file.content.length) });
        return res.end(file.content);
      }
      json(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    })().catch((err: unknown) => json(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
