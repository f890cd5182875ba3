/**
 * Weights & Biases tracking through @wandb/sdk. Three modes (WANDB_MODE): online sends to the
 * server via a worker thread (src/wandb-client.ts explains why), offline writes a local folder
 * (src/wandb-offline.ts), disabled does nothing. Whatever fails, the trainer sees one warning and
 * carries on; the API key is never printed or written.
 *
 * Metrics logged at the same step (train metrics, then eval metrics) are merged into one history
 * row, because W&B expects one row per step with increasing steps; a row is therefore sent when
 * a later step arrives, or at finish.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { readWandbEnv, type WandbEnv, type WandbMode } from './env.js';
import { assertStep } from './errors.js';
import { folderStamp } from './files.js';
import { knownSecrets, redactConfig, redactLines, redactText } from './redact.js';
import type { CompletionRecord, Metrics, RunInfo, Tracker } from './tracker.js';
import { WandbWorkerClient } from './wandb-client.js';
import { OfflineRunWriter } from './wandb-offline.js';
import { defaultWarn, errorMessage, type Warn } from './warn.js';

/** Options of the W&B tracker; unset fields come from the WANDB_* variables of `env`. */
export interface WandbTrackerOptions {
  env?: NodeJS.ProcessEnv;
  mode?: WandbMode;
  apiKey?: string;
  project?: string;
  /** The project when neither `project` nor WANDB_PROJECT is set (default "grpojs"). */
  defaultProject?: string;
  entity?: string;
  baseUrl?: string;
  /** Folder in which `wandb/` is created (WANDB_DIR; default `cwd`). */
  dir?: string;
  cwd?: string;
  initTimeoutMs?: number;
  /** How long `finish` waits for the upload to complete (default 30 s). */
  finishTimeoutMs?: number;
  warn?: Warn;
  /** Informational lines (the run URL, the offline folder); default stderr. */
  info?: (line: string) => void;
  /**
   * Strings kept out of the run name, config, warnings and debug.log besides the API key (default:
   * the values of WANDB_API_KEY, HF_TOKEN, HUGGING_FACE_HUB_TOKEN in `env`).
   */
  secrets?: readonly (string | undefined)[];
}

/** Reports a run to Weights & Biases (online, offline folder, or disabled). */
export class WandbTracker implements Tracker {
  /** Resolved settings, without the API key. */
  readonly settings: Omit<WandbEnv, 'apiKey'>;
  /** The run id (8 base-36 characters), set by `init`. */
  runId: string | undefined;
  /** The run's page, once the server has created it. */
  runUrl: string | undefined;
  /** `wandb/(offline-)run-<stamp>-<id>`: the offline run, or the online run's debug.log. */
  localDir: string | undefined;
  private readonly apiKey: string | undefined;
  private readonly secrets: readonly (string | undefined)[];
  private readonly warn: Warn;
  private readonly info: (line: string) => void;
  private client: WandbWorkerClient | undefined;
  private offline: OfflineRunWriter | undefined;
  private pending: { step: number; data: Record<string, unknown> } | undefined;
  private lastSentStep = -1;
  private off = true;
  private warned = false;

  constructor(private readonly options: WandbTrackerOptions = {}) {
    const vars = options.env ?? process.env;
    const env = readWandbEnv(vars);
    // An explicit project wins, then the environment's WANDB_PROJECT, then the caller's default.
    const envProject = vars.WANDB_PROJECT?.trim() ? env.project : undefined;
    this.apiKey = options.apiKey ?? env.apiKey;
    this.settings = {
      mode: options.mode ?? env.mode,
      project: options.project ?? envProject ?? options.defaultProject ?? env.project,
      entity: options.entity ?? env.entity,
      baseUrl: (options.baseUrl ?? env.baseUrl).replace(/\/+$/, ''),
      dir: options.dir ?? env.dir,
      initTimeoutMs: options.initTimeoutMs ?? env.initTimeoutMs,
    };
    this.secrets = [this.apiKey, ...(options.secrets ?? knownSecrets(vars))];
    this.warn = redactLines(options.warn ?? defaultWarn, this.secrets);
    this.info = redactLines(options.info ?? ((line) => process.stderr.write(`[grpojs/tracking] ${line}\n`)), this.secrets);
  }

  /** Creates the run (online: waits at most initTimeoutMs for the server). */
  async init(run: RunInfo): Promise<void> {
    const { mode } = this.settings;
    if (mode === 'disabled') return;
    this.runId = randomId();
    const base = resolve(this.options.cwd ?? process.cwd(), this.settings.dir ?? '.', 'wandb');
    this.localDir = join(base, `${mode === 'offline' ? 'offline-run' : 'run'}-${folderStamp(new Date()).replace('-', '_')}-${this.runId}`);
    const config = redactConfig(run.config, this.secrets);
    const name = redactText(run.name, this.secrets);
    const target = { id: this.runId, project: this.settings.project, entity: this.settings.entity, name, config };
    try {
      if (mode === 'offline') {
        this.offline = await OfflineRunWriter.create(this.localDir, { ...target, baseUrl: this.settings.baseUrl, createdAt: new Date().toISOString() });
        this.off = false;
        this.info(`W&B offline: writing ${this.localDir} (upload later with syncOfflineRun)`);
        return;
      }
      if (this.apiKey === undefined) {
        this.problem('WANDB_API_KEY is not set (put it in .env or the environment, or set WANDB_MODE=offline)');
        return;
      }
      mkdirSync(this.localDir, { recursive: true });
      this.client = new WandbWorkerClient(
        { ...target, apiKey: this.apiKey, baseUrl: this.settings.baseUrl },
        {
          initTimeoutMs: this.settings.initTimeoutMs,
          finishTimeoutMs: this.options.finishTimeoutMs ?? 30_000,
          onProblem: (message) => this.problem(message),
          onOutput: (line) => this.debug(`sdk: ${line}`),
        },
      );
      const ref = await this.client.start();
      if (ref === null) return;
      this.runUrl = ref.url;
      this.off = false;
      this.debug(`run created: ${ref.url}`);
      this.info(`W&B run: ${ref.url}`);
    } catch (error) {
      this.problem(errorMessage(error));
    }
  }

  /** Queues `metrics` as the history row of `step` (merged with other metrics of the same step). */
  async log(metrics: Metrics, step: number): Promise<void> {
    assertStep(step, 'WandbTracker.log');
    if (this.off) return;
    if (this.pending !== undefined && step === this.pending.step) {
      Object.assign(this.pending.data, metrics);
      return;
    }
    if (step <= this.lastSentStep || (this.pending !== undefined && step < this.pending.step)) {
      this.debug(`dropped metrics at step ${step}: W&B needs increasing steps (last ${this.pending?.step ?? this.lastSentStep})`);
      return;
    }
    await this.flush();
    this.pending = { step, data: { ...metrics } };
  }

  /** Not sent: @wandb/sdk 0.5 has no Tables. Completions live in the run directory and report. */
  async logCompletions(_rows: CompletionRecord[], step: number): Promise<void> {
    assertStep(step, 'WandbTracker.logCompletions');
  }

  /**
   * @wandb/sdk 0.5 has no run.summary; the run's summary on W&B is the last value of each key, so
   * summary values are added to the last history row.
   */
  async summary(values: Record<string, unknown>): Promise<void> {
    if (this.off) return;
    if (this.pending === undefined) this.pending = { step: this.lastSentStep + 1, data: {} };
    Object.assign(this.pending.data, redactConfig(values, this.secrets));
  }

  /** Sends the last row, closes the run (online: waits at most finishTimeoutMs). */
  async finish(): Promise<void> {
    try {
      if (!this.off) await this.flush();
      this.off = true;
      if (this.offline !== undefined) await this.offline.close();
      if (this.client !== undefined && (await this.client.finish())) this.info(`W&B run finished: ${this.runUrl}`);
    } catch (error) {
      this.problem(errorMessage(error));
    } finally {
      this.client = undefined;
      this.offline = undefined;
    }
  }

  private async flush(): Promise<void> {
    const row = this.pending;
    if (row === undefined) return;
    this.pending = undefined;
    this.lastSentStep = row.step;
    if (this.offline !== undefined) await this.offline.log(row.data, row.step);
    else this.client?.log(row.data, row.step);
  }

  /** The first problem warns; every problem goes to debug.log; W&B is off from then on. */
  private problem(message: string): void {
    const safe = redactText(message, this.secrets);
    this.debug(`problem: ${safe}`);
    this.off = true;
    if (this.warned) return;
    this.warned = true;
    this.warn(`W&B: ${safe}. W&B logging is off for this run; training continues and local files are unaffected.`);
  }

  private debug(line: string): void {
    if (this.localDir === undefined || this.settings.mode !== 'online') return;
    try {
      mkdirSync(this.localDir, { recursive: true });
      appendFileSync(join(this.localDir, 'debug.log'), `${new Date().toISOString()} ${redactText(line, this.secrets)}\n`);
    } catch {
      // debug.log is a convenience; failing to write it must not add a second warning.
    }
  }
}

function randomId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
}
