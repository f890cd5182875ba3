/**
 * What makes a checkpoint belong to a run: the resolved trainer config, the caller's job settings
 * (runConfig: model, data source, LoRA, prompt format, …), a sha256 of the training rows and the
 * model identity the caller gives (e.g. source, revision, a hash of its config). Recorded in every
 * checkpoint; a resume must match it except for the fields meant to change on resume, so a run
 * never continues from another run's weights.
 */
import { createHash } from 'node:crypto';
import type { GRPOConfig } from './config.js';

/** Recorded in trainer_state.json (absent from checkpoints written before run identities were recorded). */
export interface RunIdentity {
  /** sha256 over the training rows (every column, JSON, one line per row, in dataset order) and their count. */
  data: { sha256: string; rows: number };
  /** What identifies the base model, as the caller gave it (GRPOTrainerOptions.modelIdentity); null when not given. */
  model: Record<string, unknown> | null;
  /** The caller's job settings besides the trainer config (GRPOTrainerOptions.runConfig). */
  runConfig: Record<string, unknown>;
}

/**
 * Trainer config fields that may differ when a run is resumed: how long it runs, how often it
 * logs, saves and evaluates, where it writes, memory-only settings and when it gives up on skipped
 * steps. Any other field must equal the checkpoint's. Listed in docs/reliability.md.
 */
export const RESUMABLE_CONFIG_FIELDS: readonly (keyof GRPOConfig)[] = [
  'outputDir',
  'overwriteOutputDir',
  'runName',
  'maxSteps',
  'numTrainEpochs',
  'loggingSteps',
  'saveSteps',
  'saveTotalLimit',
  'evalSteps',
  'perDeviceEvalBatchSize',
  'periodicEvalSamples',
  'logCompletions',
  'numCompletionsToPrint',
  'logUniquePrompts',
  'logprobChunkSize',
  'maxConsecutiveSkippedSteps',
  'rolloutUrls',
  'rolloutRequestTimeout',
  'rolloutLoadTimeout',
];

/** sha256 of the rows as JSON lines: a different file, split, limit, order or prompt rendering gives a different hash. */
export function hashRows(rows: readonly object[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${JSON.stringify(row)}\n`);
  return hash.digest('hex');
}

/** The identity of a run over `rows`. */
export function runIdentity(rows: readonly object[], runConfig: Readonly<Record<string, unknown>> = {}, model: Readonly<Record<string, unknown>> | null = null): RunIdentity {
  return { data: { sha256: hashRows(rows), rows: rows.length }, model: model ? { ...model } : null, runConfig: { ...runConfig } };
}

/** One field that differs between the checkpoint's run and this one. */
export interface IdentityChange {
  field: string;
  saved: unknown;
  now: unknown;
  /** True when the field is meant to change on resume (maxSteps, saveSteps, …). */
  allowed: boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The differences between a checkpoint's run and this one. Fields that the checkpoint does not
 * record (added by a later grpojs) are not compared. `mayChange` lists the runConfig fields that
 * may differ (the trainer's own are RESUMABLE_CONFIG_FIELDS); `saved.identity` null = a checkpoint
 * written before identities were recorded: only the config is compared.
 */
export function identityChanges(
  saved: { config: Readonly<Record<string, unknown>>; identity: RunIdentity | null },
  now: { config: Readonly<Record<string, unknown>>; identity: RunIdentity },
  mayChange: ReadonlySet<string>,
): IdentityChange[] {
  const changes: IdentityChange[] = [];
  const compare = (savedFields: Readonly<Record<string, unknown>>, nowFields: Readonly<Record<string, unknown>>, allowed: (key: string) => boolean, prefix = '') => {
    for (const key of Object.keys(nowFields)) {
      if (!(key in savedFields) || same(savedFields[key], nowFields[key])) continue;
      changes.push({ field: `${prefix}${key}`, saved: savedFields[key], now: nowFields[key], allowed: allowed(key) });
    }
  };
  const resumable = new Set<string>(RESUMABLE_CONFIG_FIELDS);
  compare(saved.config, now.config, (key) => resumable.has(key));
  if (saved.identity === null) return changes;
  compare(saved.identity.runConfig, now.identity.runConfig, (key) => mayChange.has(key) || resumable.has(key));
  if (!same(saved.identity.data, now.identity.data)) {
    changes.push({ field: 'training rows', saved: describeData(saved.identity.data), now: describeData(now.identity.data), allowed: false });
  }
  if (saved.identity.model !== null && now.identity.model !== null) compare(saved.identity.model, now.identity.model, () => false, 'model.');
  return changes;
}

function describeData(data: RunIdentity['data']): string {
  return `${data.rows} rows, sha256 ${data.sha256.slice(0, 12)}…`;
}

/** `field: saved → now` with long values shortened, for error messages. */
export function formatChange(change: IdentityChange): string {
  const show = (value: unknown) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value) ?? 'undefined';
    return text.length > 60 ? `${text.slice(0, 57)}…` : text;
  };
  return `${change.field}: ${show(change.saved)} → ${show(change.now)}`;
}
