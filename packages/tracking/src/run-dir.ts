/**
 * The local run directory: everything about a run in plain files that outlive the process and
 * need no service to read.
 *
 *   runs/<name>-<YYYYMMDD-HHMMSS>/
 *     config.json        the run's config (secret-looking fields redacted)
 *     metrics.jsonl      one line per log call: {"step":10,"time":"…","loss":…,"reward":…}
 *     completions.jsonl  one line per sample: {"step":10,"prompt":…,"completion":…,"rewards":{…},"advantage":…}
 *     summary.json       final values (merged over `summary` calls)
 *     report.html        written by `finish`: curves and sample completions, self-contained
 *
 * Appends are fsynced before `log` resolves, so a crash loses at most the line being written; a
 * line torn that way is cut off (with a warning) before a reused directory is appended to.
 */
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertStep } from './errors.js';
import { JsonlAppender, folderStamp, safeName, writeJsonAtomic } from './files.js';
import { knownSecrets, redactConfig, redactLines, redactText } from './redact.js';
import { writeReport } from './report/index.js';
import type { CompletionRecord, Metrics, RunInfo, Tracker } from './tracker.js';
import { defaultWarn, errorMessage, type Warn } from './warn.js';

/** Options of the local run-directory tracker. */
export interface RunDirTrackerOptions {
  /** Parent folder of run directories (default `runs`, relative to `cwd`). */
  runsDir?: string;
  /** Use exactly this directory (e.g. to resume a run) instead of creating `<runsDir>/<name>-<stamp>`. */
  dir?: string;
  /** Base for relative paths (default `process.cwd()`). */
  cwd?: string;
  /** Write report.html on `finish` (default true). */
  report?: boolean;
  /** Clock, for tests. */
  now?: () => Date;
  /** Where warnings go (default stderr). */
  warn?: Warn;
  /**
   * Strings to scrub from the run name (and so the folder name), config.json, summary.json and
   * warnings (default: the values of WANDB_API_KEY, HF_TOKEN, HUGGING_FACE_HUB_TOKEN).
   */
  secrets?: readonly (string | undefined)[];
}

/** Writes config.json, metrics.jsonl, completions.jsonl, summary.json and report.html into a run directory. */
export class RunDirTracker implements Tracker {
  /** The run directory, set by `init` (undefined before, or if it could not be created). */
  dir: string | undefined;
  private metrics: JsonlAppender | undefined;
  private completions: JsonlAppender | undefined;
  private summaryValues: Record<string, unknown> = {};
  private failed = false;
  private readonly warn: Warn;
  private readonly now: () => Date;
  private readonly secrets: readonly (string | undefined)[];

  constructor(private readonly options: RunDirTrackerOptions = {}) {
    this.secrets = options.secrets ?? knownSecrets();
    this.warn = redactLines(options.warn ?? defaultWarn, this.secrets);
    this.now = options.now ?? (() => new Date());
  }

  /** Creates the run directory and writes config.json. */
  async init(run: RunInfo): Promise<void> {
    const cwd = this.options.cwd ?? process.cwd();
    // The name becomes a folder name and a report title: a key pasted into it must not.
    const name = redactText(run.name, this.secrets);
    const dir = this.options.dir !== undefined ? resolve(cwd, this.options.dir) : this.freshDir(cwd, name);
    try {
      await mkdir(dir, { recursive: true });
      await writeJsonAtomic(join(dir, 'config.json'), {
        name,
        totalSteps: run.totalSteps ?? null,
        startedAt: this.now().toISOString(),
        config: redactConfig(run.config, this.secrets),
      });
      this.dir = dir;
      // A reused directory (`dir`) may end in a line torn by a crash: cut it off, say so.
      const repaired = (file: string) => (bytes: number) => this.warn(`${file}: dropped a torn last line (${bytes} bytes) left by a crash during an append`);
      this.metrics = new JsonlAppender(join(dir, 'metrics.jsonl'), repaired(join(dir, 'metrics.jsonl')));
      this.completions = new JsonlAppender(join(dir, 'completions.jsonl'), repaired(join(dir, 'completions.jsonl')));
    } catch (error) {
      this.fail(`could not create run directory ${dir}: ${errorMessage(error)}`);
    }
  }

  /** Appends `{step, time, ...metrics}` to metrics.jsonl (NaN/Infinity are written as null). */
  async log(metrics: Metrics, step: number): Promise<void> {
    assertStep(step, 'RunDirTracker.log');
    if (this.metrics === undefined || this.failed) return;
    await this.metrics
      .append([{ step, time: this.now().toISOString(), ...metrics }])
      .catch((error) => this.fail(`could not append to ${this.metrics?.path}: ${errorMessage(error)}`));
  }

  /** Appends one line per completion to completions.jsonl. */
  async logCompletions(rows: CompletionRecord[], step: number): Promise<void> {
    assertStep(step, 'RunDirTracker.logCompletions');
    if (this.completions === undefined || this.failed || rows.length === 0) return;
    await this.completions
      .append(rows.map((row) => ({ ...row, step: row.step ?? step })))
      .catch((error) => this.fail(`could not append to ${this.completions?.path}: ${errorMessage(error)}`));
  }

  /** Merges `values` into summary.json (rewritten atomically). */
  async summary(values: Record<string, unknown>): Promise<void> {
    this.summaryValues = { ...this.summaryValues, ...values };
    if (this.dir === undefined || this.failed) return;
    await writeJsonAtomic(join(this.dir, 'summary.json'), redactConfig(this.summaryValues, this.secrets)).catch((error) =>
      this.fail(`could not write ${join(this.dir ?? '', 'summary.json')}: ${errorMessage(error)}`),
    );
  }

  /** Flushes and closes the files, writes summary.json and report.html. */
  async finish(): Promise<void> {
    if (this.dir === undefined) return;
    const dir = this.dir;
    try {
      await this.metrics?.close();
      await this.completions?.close();
      await writeJsonAtomic(join(dir, 'summary.json'), redactConfig({ ...this.summaryValues, finishedAt: this.now().toISOString() }, this.secrets));
      if (this.options.report !== false) await writeReport(dir);
    } catch (error) {
      this.fail(`could not finish run directory ${dir}: ${errorMessage(error)}`);
    }
  }

  private freshDir(cwd: string, name: string): string {
    const base = join(resolve(cwd, this.options.runsDir ?? 'runs'), `${safeName(name)}-${folderStamp(this.now())}`);
    let dir = base;
    for (let i = 2; existsSync(dir); i += 1) dir = `${base}-${i}`;
    return dir;
  }

  private fail(message: string): void {
    if (!this.failed) this.warn(`run directory: ${message}; local files for this run are incomplete`);
    this.failed = true;
  }
}
