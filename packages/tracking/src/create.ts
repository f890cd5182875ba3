/**
 * The one call a trainer or CLI needs: `createTrackers({ reportTo: ['console', 'local', 'wandb'] })`
 * loads `.env`, builds each requested tracker and returns them behind one fan-out Tracker.
 */
import { ConsoleTracker, type ConsoleTrackerOptions } from './console.js';
import { loadEnv } from './env.js';
import { TrackingError } from './errors.js';
import { MultiTracker } from './multi.js';
import { knownSecrets, redactLines } from './redact.js';
import { RunDirTracker, type RunDirTrackerOptions } from './run-dir.js';
import type { Tracker } from './tracker.js';
import { WandbTracker, type WandbTrackerOptions } from './wandb.js';
import { defaultWarn, type Warn } from './warn.js';

/** Names accepted in `reportTo` (TRL's `report_to`). */
export const TRACKER_NAMES = ['console', 'local', 'wandb'] as const;
export type TrackerName = (typeof TRACKER_NAMES)[number];

/** Options of createTrackers; per-tracker options are passed through. */
export interface CreateTrackersOptions {
  /** Which trackers, e.g. ['console', 'local', 'wandb']; [] or ['none'] means none. */
  reportTo: readonly (TrackerName | 'none')[];
  /** Working directory: where `.env` is read and relative paths start (default process.cwd()). */
  cwd?: string;
  /** Load `<cwd>/.env` first (default true); never overrides variables already set. */
  loadDotenv?: boolean;
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
  warn?: Warn;
  /**
   * Secrets no tracker may write or print, besides the W&B API key and the values of
   * WANDB_API_KEY, HF_TOKEN and HUGGING_FACE_HUB_TOKEN in `env` (e.g. a hub token given as an option).
   */
  secrets?: readonly (string | undefined)[];
  console?: ConsoleTrackerOptions;
  local?: RunDirTrackerOptions;
  wandb?: WandbTrackerOptions;
}

/** Builds the requested trackers (in `reportTo` order) behind one MultiTracker. */
export function createTrackers(options: CreateTrackersOptions): MultiTracker {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  if (options.loadDotenv !== false) loadEnv(cwd, env);
  // After .env is loaded: a key that only lives there is a secret too. Every tracker gets the same list.
  const secrets = [...(options.secrets ?? []), options.wandb?.apiKey, ...knownSecrets(env)];
  const warn = redactLines(options.warn ?? defaultWarn, secrets);
  const names = options.reportTo.filter((n) => n !== 'none');
  const unknown = names.filter((n) => !(TRACKER_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new TrackingError(`createTrackers: reportTo has unknown tracker(s) ${unknown.join(', ')}; use ${TRACKER_NAMES.join(', ')} or none`);
  }
  const trackers: Tracker[] = [...new Set(names)].map((name) => {
    switch (name) {
      case 'console':
        return new ConsoleTracker({ secrets, ...options.console });
      case 'local':
        return new RunDirTracker({ cwd, warn, secrets, ...options.local });
      case 'wandb':
        return new WandbTracker({ cwd, env, warn, secrets, ...options.wandb });
      default:
        throw new TrackingError(`createTrackers: unknown tracker ${String(name)}`);
    }
  });
  return new MultiTracker(trackers, warn);
}
