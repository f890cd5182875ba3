/**
 * Offline W&B runs. @wandb/sdk 0.5.1 has no usable offline mode: with `offline: true` it still
 * calls the server (viewer query, run upsert) before logging, then silently drops every history
 * row, and the JS SDK has no `wandb sync`. So offline mode is implemented here: the run is written
 * to `wandb/offline-run-<YYYYMMDD_HHMMSS>-<id>/` in the shape the SDK would have sent it, and
 * `syncOfflineRun` replays such a folder to a server through the SDK later.
 *
 * Folder format ("grpojs-wandb-offline/1"):
 *   run.json             {format, id, project, entity, name, config, baseUrl, createdAt}
 *                        = the variables of the SDK's UpsertBucket mutation, plus bookkeeping
 *   wandb-history.jsonl  one history row per line: metrics plus _step, _runtime (s), _timestamp (s)
 *                        = the `wandb-history.jsonl` content lines the SDK POSTs to file_stream
 *   wandb-summary.json   the last value of every key (+ summary() values)
 *   synced.json          written by syncOfflineRun after an upload: {url, syncedAt}
 * Python's `wandb sync` cannot read this folder (it expects the binary .wandb protobuf log).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonlAppender, writeJsonAtomic } from './files.js';
import { TrackingError } from './errors.js';
import { readWandbEnv } from './env.js';
import { WandbWorkerClient, type WandbRunRef } from './wandb-client.js';
import { defaultWarn, type Warn } from './warn.js';

/** The format tag in run.json. */
export const OFFLINE_FORMAT = 'grpojs-wandb-offline/1';

/** run.json of an offline run. */
export interface OfflineRunMeta {
  format: typeof OFFLINE_FORMAT;
  id: string;
  project: string;
  entity?: string;
  name: string;
  config: Record<string, unknown>;
  baseUrl: string;
  createdAt: string;
}

/** Writes one offline run folder. */
export class OfflineRunWriter {
  private readonly history: JsonlAppender;
  private summary: Record<string, unknown> = {};
  private readonly startedMs: number;

  private constructor(readonly dir: string) {
    this.history = new JsonlAppender(join(dir, 'wandb-history.jsonl'));
    this.startedMs = Date.now();
  }

  /** Creates `dir` and writes run.json. */
  static async create(dir: string, meta: Omit<OfflineRunMeta, 'format'>): Promise<OfflineRunWriter> {
    await mkdir(dir, { recursive: true });
    await writeJsonAtomic(join(dir, 'run.json'), { format: OFFLINE_FORMAT, ...meta });
    return new OfflineRunWriter(dir);
  }

  /** Appends one history row at `step` (with _step, _runtime, _timestamp as the SDK adds them). */
  async log(data: Record<string, unknown>, step: number): Promise<void> {
    const now = Date.now();
    const row = { ...data, _step: step, _runtime: (now - this.startedMs) / 1000, _timestamp: now / 1000 };
    this.summary = { ...this.summary, ...row };
    await this.history.append([row]);
  }

  /** Closes the history and writes wandb-summary.json. */
  async close(): Promise<void> {
    await this.history.close();
    await writeJsonAtomic(join(this.dir, 'wandb-summary.json'), this.summary);
  }
}

/** Options of syncOfflineRun; unset fields come from the WANDB_* variables of `env`. */
export interface SyncOptions {
  apiKey?: string;
  baseUrl?: string;
  env?: NodeJS.ProcessEnv;
  initTimeoutMs?: number;
  finishTimeoutMs?: number;
  warn?: Warn;
}

/**
 * Uploads an offline run folder through @wandb/sdk (same run id, project, entity, name, config;
 * history rows in order with their steps). _runtime/_timestamp are re-stamped by the SDK at upload
 * time. Resolves with the run on success, or null after one warning; writes `synced.json`.
 */
export async function syncOfflineRun(dir: string, options: SyncOptions = {}): Promise<WandbRunRef | null> {
  const env = readWandbEnv(options.env ?? process.env);
  const apiKey = options.apiKey ?? env.apiKey;
  const warn = options.warn ?? defaultWarn;
  const meta = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as OfflineRunMeta;
  if (meta.format !== OFFLINE_FORMAT) {
    throw new TrackingError(`syncOfflineRun: ${join(dir, 'run.json')} has format "${meta.format}", expected "${OFFLINE_FORMAT}"`);
  }
  if (apiKey === undefined) {
    throw new TrackingError('syncOfflineRun: set WANDB_API_KEY (or pass options.apiKey) to upload an offline run');
  }
  const lines = (await readFile(join(dir, 'wandb-history.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '');
  let warned = false;
  const client = new WandbWorkerClient(
    { apiKey, baseUrl: options.baseUrl ?? env.baseUrl, id: meta.id, project: meta.project, entity: meta.entity, name: meta.name, config: meta.config },
    {
      initTimeoutMs: options.initTimeoutMs ?? env.initTimeoutMs,
      finishTimeoutMs: options.finishTimeoutMs ?? 60_000,
      onProblem: (message) => {
        if (!warned) warn(`W&B sync of ${dir}: ${message}`);
        warned = true;
      },
    },
  );
  const run = await client.start();
  if (run === null) return null;
  for (const line of lines) {
    const row = JSON.parse(line) as Record<string, unknown>;
    const step = Number(row._step);
    for (const key of ['_step', '_runtime', '_timestamp']) delete row[key];
    client.log(row, step);
  }
  const ok = await client.finish();
  if (!ok) return null;
  await writeJsonAtomic(join(dir, 'synced.json'), { url: run.url, syncedAt: new Date().toISOString() });
  return run;
}
