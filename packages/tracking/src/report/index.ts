/**
 * Reads a run directory (config.json, metrics.jsonl, completions.jsonl, summary.json) and writes
 * its report.html. Tolerant of a run that crashed: missing files are empty, a torn last line of a
 * JSON-lines file is skipped. Lines that are not the expected shape (a hand-edited file) are
 * dropped or coerced here, so the page builder only ever sees its declared types.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { CompletionRecord } from '../tracker.js';
import { buildReportHtml, type ReportData } from './html.js';
import type { MetricRow } from './series.js';

export { buildReportHtml, type ReportData } from './html.js';
export { collectSeries, type MetricRow } from './series.js';
export { escapeHtml } from './escape.js';

/** Loads the data of run directory `dir` (files that are missing count as empty). */
export async function readRunDir(dir: string): Promise<ReportData> {
  const config = await readJson(join(dir, 'config.json'));
  const summary = await readJson(join(dir, 'summary.json'));
  const name = typeof config?.name === 'string' ? config.name : basename(dir);
  const runConfig = config?.config !== null && typeof config?.config === 'object' ? (config.config as Record<string, unknown>) : config;
  return {
    name,
    config: runConfig,
    summary,
    totalSteps: typeof config?.totalSteps === 'number' ? config.totalSteps : null,
    startedAt: typeof config?.startedAt === 'string' ? config.startedAt : undefined,
    metrics: (await readJsonl(join(dir, 'metrics.jsonl'))).filter(isMetricRow),
    completions: (await readJsonl(join(dir, 'completions.jsonl'))).flatMap(toCompletion),
  };
}

/** Writes `<dir>/report.html` from the files in `dir`; returns its path. */
export async function writeReport(dir: string, options: { maxCompletions?: number } = {}): Promise<string> {
  const data = await readRunDir(dir);
  const path = join(dir, 'report.html');
  await writeFile(path, buildReportHtml({ ...data, ...options }), 'utf8');
  return path;
}

function isMetricRow(row: unknown): row is MetricRow {
  return row !== null && typeof row === 'object' && typeof (row as MetricRow).step === 'number' && Number.isFinite((row as MetricRow).step);
}

function toCompletion(row: unknown): CompletionRecord[] {
  if (row === null || typeof row !== 'object') return [];
  const r = row as Record<string, unknown>;
  if (typeof r.step !== 'number' || !Number.isFinite(r.step)) return [];
  const rewards = r.rewards !== null && typeof r.rewards === 'object' ? (r.rewards as Record<string, unknown>) : {};
  return [{
    step: r.step,
    prompt: typeof r.prompt === 'string' ? r.prompt : JSON.stringify(r.prompt ?? ''),
    completion: typeof r.completion === 'string' ? r.completion : JSON.stringify(r.completion ?? ''),
    rewards: Object.fromEntries(Object.entries(rewards).map(([k, v]) => [k, typeof v === 'number' ? v : null])),
    advantage: typeof r.advantage === 'number' ? r.advantage : Number.NaN,
  }];
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  if (!existsSync(path)) return undefined;
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

async function readJsonl(path: string): Promise<unknown[]> {
  if (!existsSync(path)) return [];
  const rows: unknown[] = [];
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    if (line.trim() === '') continue;
    try {
      rows.push(JSON.parse(line));
    } catch {
      // A torn last line from a crash mid-append: skip it, the rest of the run is still worth a report.
    }
  }
  return rows;
}
