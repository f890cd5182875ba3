/**
 * Console output for a training run. On a terminal: a cli-progress bar (steps, %, ETA, s/step)
 * with a compact metrics line printed above it at each log, and a second bar while an evaluation
 * runs. Elsewhere (CI, a pipe, a file): no cursor tricks at all, just one plain line per log that
 * carries the progress and ETA itself, and a line per quarter of an evaluation. The run's ETA is
 * the optimizer steps left at the measured s/step (evaluation time excluded) plus the trainer's
 * estimate of the evaluations still to come.
 */
import cliProgress from 'cli-progress';
import { formatComparison, isComparisonMetric, scoresFromEvalMetrics } from './compare-table.js';
import { assertStep } from './errors.js';
import { knownSecrets, redactText } from './redact.js';
import { formatNumber } from './report/escape.js';
import { formatSampleLine, SAMPLE_LINE_WIDTH } from './sample-line.js';
import type { CompletionRecord, EvalProgress, Metrics, ProgressEstimate, RunInfo, Tracker } from './tracker.js';

/** Where console output goes: a writable stream; `isTTY` decides bar versus plain lines. */
export interface ConsoleStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of the console tracker. */
export interface ConsoleTrackerOptions {
  /** Output stream (default process.stdout). */
  stream?: ConsoleStream;
  /** Total steps, if `init` is not told (used for the bar and ETA). */
  totalSteps?: number;
  /** Print a metrics line only when step % loggingSteps === 0 (eval metrics always print); default 1. */
  loggingSteps?: number;
  /** Metrics on the line, in order (default DEFAULT_KEYS); eval_* metrics always print (as a table). */
  keys?: string[];
  /** Sample completions to print per logCompletions call (default 1; 0 = none). */
  completionsToShow?: number;
  /** Clock in ms, for tests. */
  now?: () => number;
  /** Strings never printed (default: the values of WANDB_API_KEY, HF_TOKEN, HUGGING_FACE_HUB_TOKEN). */
  secrets?: readonly (string | undefined)[];
}

/** Metric name → short label on the console line. */
export const DEFAULT_KEYS: Record<string, string> = {
  loss: 'loss',
  reward: 'reward',
  reward_std: '±',
  kl: 'kl',
  'completions/mean_length': 'len',
  grad_norm: 'gnorm',
  learning_rate: 'lr',
};

/** A progress bar plus compact metrics lines, or plain lines when the stream is not a TTY. */
export class ConsoleTracker implements Tracker {
  private readonly stream: ConsoleStream;
  private readonly now: () => number;
  private readonly secrets: readonly (string | undefined)[];
  private bars: cliProgress.MultiBar | undefined;
  private bar: cliProgress.SingleBar | undefined;
  private total: number | undefined;
  private startedAt = 0;
  private startStep = 0;
  private lastStep = 0;
  /** The trainer's latest estimate of the evaluations still to come (seconds). */
  private evalSecondsLeft = 0;
  /** Seconds of the evaluations of this process that ended. */
  private evalSecondsDone = 0;
  /** The evaluation under way (its latest report), if any. */
  private evaluation: EvalProgress | undefined;
  private evalBar: cliProgress.SingleBar | undefined;
  /** Quarters of the evaluation under way already printed (plain output). */
  private evalQuartersShown = 0;

  constructor(private readonly options: ConsoleTrackerOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.now = options.now ?? Date.now;
    this.secrets = options.secrets ?? knownSecrets();
  }

  /** Prints the run name; on a TTY with a known total, starts the bar. */
  async init(run: RunInfo): Promise<void> {
    this.total = run.totalSteps ?? this.options.totalSteps;
    this.startedAt = this.now();
    this.startStep = run.startStep ?? 0;
    this.lastStep = this.startStep;
    this.stream.write(redactText(`run ${run.name}${this.total ? ` · ${this.total} steps` : ''}\n`, this.secrets));
    if (this.stream.isTTY === true && this.total !== undefined && this.total > 0) {
      this.bars = new cliProgress.MultiBar(
        {
          stream: this.stream as NodeJS.WritableStream,
          // The ETA is ours (run_eta), not cli-progress's: its rate would count evaluation time as step time.
          format: ' {bar} {value}/{total} steps | {percentage}% | ETA {run_eta} | elapsed {duration_formatted}',
          hideCursor: false,
          gracefulExit: false, // never hijack Ctrl-C from the trainer
          clearOnComplete: false,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.bars.create(this.total, this.startStep, { run_eta: '…' });
    }
  }

  /** Advances the bar (no output without a TTY); `estimate` adds the evaluations to come to the ETA. */
  progress(step: number, estimate?: ProgressEstimate): void {
    this.lastStep = Math.max(this.lastStep, step);
    if (estimate !== undefined) this.evalSecondsLeft = Math.max(0, estimate.evalSecondsLeft);
    this.bar?.update(Math.min(step, this.total ?? step), { run_eta: this.runEta() ?? '…' });
  }

  /**
   * Shows an evaluation under way: on a TTY a second bar (completions done/total, rate, ETA of the
   * evaluation), otherwise a header line when it starts and a line at each quarter.
   */
  evalProgress(progress: EvalProgress): void {
    const current = this.evaluation;
    if (current === undefined || progress.done === 0 || current.step !== progress.step || current.final !== progress.final) {
      if (current !== undefined) this.endEvaluation();
      this.startEvaluation(progress);
    }
    this.evaluation = progress;
    const rate = progress.seconds > 0 && progress.done > 0 ? progress.done / progress.seconds : undefined;
    const eta = rate !== undefined && rate > 0 ? formatDuration((progress.total - progress.done) / rate) : '…';
    const rateText = rate === undefined ? '…' : formatNumber(Number(rate.toPrecision(3)));
    if (this.evalBar !== undefined) {
      this.evalBar.update(progress.done, { eval_rate: rateText, eval_eta: eta });
      this.bar?.update({ run_eta: this.runEta() ?? '…' });
      this.bars?.update(); // draw now: the bars redraw on a timer otherwise
    } else {
      const quarter = progress.total > 0 ? Math.floor((4 * progress.done) / progress.total) : 4;
      if (quarter > this.evalQuartersShown) {
        this.evalQuartersShown = quarter;
        this.print(`  eval ${progress.done}/${progress.total} (${Math.floor((100 * progress.done) / Math.max(1, progress.total))}%) · ${rateText} completions/s · ETA ${eta}`);
      }
    }
    if (progress.done >= progress.total) this.endEvaluation();
  }

  /** `step 20/100 (20%) · periodic evaluation: 200 rows, 400 greedy completions (fine-tuned and base)`, and the TTY bar. */
  private startEvaluation(progress: EvalProgress): void {
    const models = progress.total > progress.rows ? 'fine-tuned and base' : 'fine-tuned; base cached';
    const where = this.total ? `step ${progress.step}/${this.total} (${Math.floor((100 * progress.step) / this.total)}%)` : `step ${progress.step}`;
    this.print(`${where} · ${progress.final ? 'final' : 'periodic'} evaluation: ${progress.rows} rows, ${progress.total} greedy completions (${models})`);
    this.evalQuartersShown = 0;
    if (this.bars !== undefined) {
      this.evalBar = this.bars.create(progress.total, progress.done, { eval_rate: '…', eval_eta: '…' }, {
        format: ' {bar} {value}/{total} eval completions | {eval_rate}/s | ETA {eval_eta}',
      });
    }
  }

  /** Counts the evaluation's time as evaluation (not step) time and drops its bar. */
  private endEvaluation(): void {
    if (this.evaluation === undefined) return;
    this.evalSecondsDone += this.evaluation.seconds;
    this.evaluation = undefined;
    if (this.evalBar !== undefined) this.bars?.remove(this.evalBar);
    this.evalBar = undefined;
  }

  /** The run's ETA: steps left at the step rate plus the evaluations to come; undefined before the first step. */
  private runEtaSeconds(): number | undefined {
    const rate = this.secondsPerStep();
    if (rate === undefined || this.total === undefined) return undefined;
    return rate * Math.max(0, this.total - this.lastStep) + Math.max(0, this.evalSecondsLeft - (this.evaluation?.seconds ?? 0));
  }

  private runEta(): string | undefined {
    const seconds = this.runEtaSeconds();
    return seconds === undefined ? undefined : formatDuration(seconds);
  }

  /** Prints one compact metrics line (see loggingSteps), or an eval table; advances the bar. */
  async log(metrics: Metrics, step: number): Promise<void> {
    assertStep(step, 'ConsoleTracker.log');
    this.progress(step);
    const isEval = Object.keys(metrics).some((k) => k.startsWith('eval_'));
    const every = this.options.loggingSteps ?? 1;
    if (!isEval && step % every !== 0) return;
    for (const line of (this.evalTable(metrics, step) ?? this.metricsLine(metrics, step)).split('\n')) this.print(line);
  }

  /** Prints the first `completionsToShow` completions, shortened to one line each. */
  async logCompletions(rows: CompletionRecord[], step: number): Promise<void> {
    assertStep(step, 'ConsoleTracker.logCompletions');
    const width = Math.min(SAMPLE_LINE_WIDTH, this.stream.columns ?? SAMPLE_LINE_WIDTH);
    for (const row of rows.slice(0, this.options.completionsToShow ?? 1)) this.print(formatSampleLine(row, step, width));
  }

  /**
   * Prints the summary in a few short lines: the values (wrapped at 120 characters), and for a
   * final evaluation (`eval_reward` …) one headline of accuracy and reward, fine-tuned vs base,
   * instead of every eval metric (those are in the eval table, metrics.jsonl and summary.json).
   */
  async summary(values: Record<string, unknown>): Promise<void> {
    const numbers: Metrics = Object.fromEntries(Object.entries(values).filter((e): e is [string, number] => typeof e[1] === 'number'));
    const model = scoresFromEvalMetrics(numbers, '');
    const base = scoresFromEvalMetrics(numbers, 'base_');
    const shown = Object.entries(values).filter(([k]) => model === null || !k.startsWith('eval_'));
    const parts = shown.map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : String(v)}`);
    const lines = parts.length > 0 ? wrap('summary: ', parts, 120) : [];
    if (model !== null) {
      const pair = (name: string, m: number | null, b: number | null | undefined) => `${name} ${formatNumber(m)}${base === null ? '' : ` (base ${formatNumber(b)})`}`;
      const headline = [...(model.accuracy === null ? [] : [pair('accuracy', model.accuracy, base?.accuracy)]), pair('reward', model.reward, base?.reward)];
      lines.push(`${lines.length > 0 ? '  ' : 'summary: '}final eval: ${headline.join(' · ')}`);
    }
    for (const line of lines) this.print(line);
  }

  /** Stops the bar and prints the elapsed time. */
  async finish(): Promise<void> {
    this.endEvaluation();
    this.bars?.stop();
    this.bars = undefined;
    this.bar = undefined;
    this.stream.write(`done in ${formatDuration((this.now() - this.startedAt) / 1000)}\n`);
  }

  /**
   * An eval log (one with `eval_reward`) as the fine-tuned vs base table under a
   * `step 20/100 (20%) · evaluation · 200 rows · 2 s/step · ETA 2m40s` header (rows: `eval_samples`);
   * undefined for other logs.
   */
  evalTable(metrics: Metrics, step: number): string | undefined {
    const model = scoresFromEvalMetrics(metrics, '');
    if (model === null) return undefined;
    const rest = Object.fromEntries(Object.entries(metrics).filter(([k]) => !isComparisonMetric(k) && k !== 'eval_samples'));
    const tag = metrics.eval_samples === undefined ? 'evaluation' : `evaluation · ${formatNumber(metrics.eval_samples)} rows`;
    return formatComparison(model, scoresFromEvalMetrics(metrics, 'base_'), this.metricsLine(rest, step, tag));
  }

  /** `step 10/100 (10%) · loss 0.01 · reward 0.5 ± 0.2 · … · 2.1 s/step · ETA 3m09s`; `tag` follows the step. */
  metricsLine(metrics: Metrics, step: number, tag?: string): string {
    const labels = this.options.keys ? Object.fromEntries(this.options.keys.map((k) => [k, k])) : DEFAULT_KEYS;
    const parts = [this.total ? `step ${step}/${this.total} (${Math.floor((100 * step) / this.total)}%)` : `step ${step}`];
    if (tag !== undefined) parts.push(tag);
    for (const [key, label] of Object.entries(labels)) {
      if (key in metrics) parts.push(`${label} ${formatNumber(metrics[key])}`);
    }
    for (const key of Object.keys(metrics).filter((k) => k.startsWith('eval_')).sort()) {
      parts.push(`${key} ${formatNumber(metrics[key])}`);
    }
    const rate = this.secondsPerStep();
    if (rate !== undefined) {
      parts.push(`${formatNumber(Number(rate.toPrecision(3)))} s/step`);
      const eta = this.runEta();
      if (eta !== undefined) parts.push(`ETA ${eta}`);
    }
    return parts.join(' · ');
  }

  /** Seconds per optimizer step so far, the time spent evaluating left out. */
  private secondsPerStep(): number | undefined {
    const done = this.lastStep - this.startStep;
    if (done <= 0) return undefined;
    const evaluating = this.evalSecondsDone + (this.evaluation?.seconds ?? 0);
    return Math.max(0, (this.now() - this.startedAt) / 1000 - evaluating) / done;
  }

  /** Above the bar on a TTY (cli-progress redraws it), a plain line otherwise. */
  private print(text: string): void {
    const line = redactText(text, this.secrets);
    if (this.bars !== undefined) {
      this.bars.log(`${line}\n`);
      this.bars.update();
    } else {
      this.stream.write(`${line}\n`);
    }
  }
}

/** Seconds as `45s`, `3m09s` or `2h05m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `first` + parts joined by ' · ', broken into lines of at most `max` characters (continued with an indent). */
function wrap(first: string, parts: readonly string[], max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    if (line === '') line = first + part;
    else if (line.length + 3 + part.length > max) {
      lines.push(line);
      line = `  ${part}`;
    } else line += ` · ${part}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

