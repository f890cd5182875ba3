/**
 * Environment handling: `.env` loading (dotenv, never overriding what the shell already set) and
 * the WANDB_* variables, parsed once into a typed object so the rest of the package never reads
 * process.env directly.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import dotenv from 'dotenv';
import { TrackingError } from './errors.js';

/**
 * Loads `<cwd>/.env` into `env` (default `process.env`) without overriding variables that are
 * already set. Returns the names (never the values) of the variables it set; an absent file is
 * not an error and returns [].
 */
export function loadEnv(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string[] {
  const path = join(cwd, '.env');
  if (!existsSync(path)) return [];
  const parsed = dotenv.config({ path, processEnv: {}, quiet: true });
  if (parsed.error) {
    throw new TrackingError(`loadEnv: could not read ${path}: ${parsed.error.message}; fix or remove the file`);
  }
  const set: string[] = [];
  for (const [name, value] of Object.entries(parsed.parsed ?? {})) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}

/** `online` sends to the server, `offline` writes a local `wandb/` folder, `disabled` does nothing. */
export type WandbMode = 'online' | 'offline' | 'disabled';

/** The WANDB_* variables this package understands, parsed. */
export interface WandbEnv {
  /** WANDB_API_KEY. Never printed or written anywhere. */
  apiKey?: string;
  /** WANDB_PROJECT (default "grpojs"). */
  project: string;
  /** WANDB_ENTITY (default: the key's default entity, as the server reports it). */
  entity?: string;
  /** WANDB_MODE: online | offline | disabled (Python's aliases dryrun → offline, run → online). */
  mode: WandbMode;
  /** WANDB_BASE_URL (default https://api.wandb.ai). */
  baseUrl: string;
  /** WANDB_DIR: the folder in which `wandb/` is created (default: the working directory). */
  dir?: string;
  /** WANDB_INIT_TIMEOUT in seconds, converted to ms (default 30 s). */
  initTimeoutMs: number;
}

const MODE_ALIASES: Record<string, WandbMode> = {
  online: 'online',
  run: 'online',
  offline: 'offline',
  dryrun: 'offline',
  disabled: 'disabled',
};

/** Parses the WANDB_* variables of `env`; throws a TrackingError naming the variable when one is malformed. */
export function readWandbEnv(env: NodeJS.ProcessEnv = process.env): WandbEnv {
  const rawMode = (env.WANDB_MODE ?? 'online').trim().toLowerCase();
  const mode = MODE_ALIASES[rawMode];
  if (mode === undefined) {
    throw new TrackingError(`WANDB_MODE must be one of online, offline, disabled; got "${env.WANDB_MODE}"`);
  }
  const baseUrl = (env.WANDB_BASE_URL ?? 'https://api.wandb.ai').trim().replace(/\/+$/, '');
  if (!/^https?:\/\//.test(baseUrl)) {
    throw new TrackingError(`WANDB_BASE_URL must start with http:// or https://; got "${env.WANDB_BASE_URL}"`);
  }
  let initTimeoutMs = 30_000;
  if (env.WANDB_INIT_TIMEOUT !== undefined && env.WANDB_INIT_TIMEOUT !== '') {
    const seconds = Number(env.WANDB_INIT_TIMEOUT);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new TrackingError(`WANDB_INIT_TIMEOUT must be a positive number of seconds; got "${env.WANDB_INIT_TIMEOUT}"`);
    }
    initTimeoutMs = seconds * 1000;
  }
  return {
    apiKey: nonEmpty(env.WANDB_API_KEY),
    project: nonEmpty(env.WANDB_PROJECT) ?? 'grpojs',
    entity: nonEmpty(env.WANDB_ENTITY),
    mode,
    baseUrl,
    dir: nonEmpty(env.WANDB_DIR),
    initTimeoutMs,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
