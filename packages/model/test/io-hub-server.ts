/**
 * A minimal hub on 127.0.0.1 for the resolveModelFiles tests: the three routes `@huggingface/hub`
 * uses to download a file (revision → commit, paths-info, resolve with an optional Range probe).
 * Test helper only; @grpojs/data tests the download code in depth.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepo {
  id: string;
  commit: string;
  files: Record<string, Buffer>;
}

export interface FakeHub {
  url: string;
  /** Request paths seen, e.g. `/distilgpt2/resolve/<commit>/config.json`. */
  paths: string[];
  close(): Promise<void>;
}

const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

export async function startFakeHub(repos: FakeRepo[]): Promise<FakeHub> {
  const paths: string[] = [];
  const at = (id: string, rev: string) => repos.find((r) => r.id === id && (rev === 'main' || rev === r.commit));
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    paths.push(url);
    let m = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(url);
    if (m !== null) {
      const repo = at(m[1], m[2]);
      return repo === undefined ? send(404, { error: 'Repository not found' }) : send(200, { id: repo.id, sha: repo.commit, private: false });
    }
    m = /^\/api\/models\/(.+)\/paths-info\/([^/]+)$/.exec(url);
    if (m !== null) {
      const repo = at(m[1], m[2]);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (repo === undefined) return send(404, { error: 'Repository not found' });
        const wanted = (JSON.parse(Buffer.concat(chunks).toString()) as { paths: string[] }).paths;
        const infos = wanted
          .filter((p) => repo.files[p] !== undefined)
          .map((p) => ({ type: 'file', path: p, oid: gitSha1(repo.files[p]), size: repo.files[p].length, lastCommit: { id: repo.commit, title: 'x', date: '2024-01-01T00:00:00.000Z' } }));
        send(200, infos);
      });
      return;
    }
    m = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    const repo = m === null ? undefined : at(m[1], m[2]);
    const file = m === null ? undefined : repo?.files[m[3]];
    if (repo === undefined || file === undefined) return send(404, { error: 'Entry not found' });
    const headers = { ETag: `"${gitSha1(file)}"`, 'X-Repo-Commit': repo.commit, 'Accept-Ranges': 'bytes' };
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range !== null) {
      const end = Math.min(Number(range[2]), file.length - 1);
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${range[1]}-${end}/${file.length}` });
      return res.end(file.subarray(Number(range[1]), end + 1));
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(file.length) });
    res.end(file);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
