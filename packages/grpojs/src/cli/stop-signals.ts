/**
 * How `grpojs train` stops on Ctrl-C (SIGINT) or SIGTERM (what schedulers and `docker stop` send).
 * The first signal aborts the trainer's AbortSignal: the step under way is abandoned at its next
 * decode step or micro-batch (about a second; no partial update) and a checkpoint of the last
 * completed step is written. The same signal again exits at once with 128 + its number, naming the
 * newest checkpoint on disk. Every exit turns the terminal's line wrapping back on: the progress
 * bar (cli-progress) turns it off while it draws, and a process that exits before the bar stops
 * would leave the shell without it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { STOP_SIGNAL_EXIT_CODES, type StopSignal } from './errors.js';

/** DECAWM on: the terminal wraps long lines again (cli-progress writes `\x1b[?7l` to turn it off). */
export const LINE_WRAP_ON = '\x1b[?7h';

export interface StopOnSignals {
  /** Aborted by the first SIGINT/SIGTERM; pass it to train(). */
  signal: AbortSignal;
  /** The first signal received, or null. */
  received(): StopSignal | null;
  /** train()'s onStep hook: the last completed step, for the stop message. */
  onStep(step: number): void;
  /** Removes the signal handlers (the terminal is still restored at exit). */
  release(): void;
}

let restoring = false;

/** Writes LINE_WRAP_ON to a terminal stdout when the process exits, whatever the path (process.exit included). */
export function restoreTerminalOnExit(): void {
  if (restoring || process.stdout.isTTY !== true) return;
  restoring = true;
  process.once('exit', () => process.stdout.write(LINE_WRAP_ON));
}

/** The newest `checkpoint-<step>` folder under outputDir, or null (checkpoints are written atomically, so one that is listed is whole). */
export function newestCheckpoint(outputDir: string): string | null {
  let names: string[];
  try {
    names = readdirSync(outputDir);
  } catch {
    return null;
  }
  const steps = names.map((n) => /^checkpoint-(\d+)$/.exec(n)).filter((m) => m !== null).map((m) => Number(m[1]));
  return steps.length === 0 ? null : join(outputDir, `checkpoint-${Math.max(...steps)}`);
}

/** Installs the SIGINT/SIGTERM handlers of a training run writing to outputDir. */
export function stopOnSignals(outputDir: string): StopOnSignals {
  restoreTerminalOnExit();
  const controller = new AbortController();
  let received: StopSignal | null = null;
  let lastStep: number | null = null;
  const handlers = (Object.keys(STOP_SIGNAL_EXIT_CODES) as StopSignal[]).map((name) => {
    const handler = () => {
      if (controller.signal.aborted) {
        const newest = newestCheckpoint(outputDir);
        process.stderr.write(`\ngrpojs: ${name} again: quitting at once; nothing was saved since ${newest ?? 'the start (this run wrote no checkpoint)'}.\n`);
        process.exit(STOP_SIGNAL_EXIT_CODES[name]);
      }
      received = name;
      controller.abort();
      const again = name === 'SIGINT' ? 'press Ctrl-C again' : `send ${name} again`;
      const what = lastStep === null ? 'abandoning the first step of this run, saving a checkpoint of the state it started from' : `abandoning step ${lastStep + 1}, saving checkpoint-${lastStep}`;
      process.stderr.write(`\ngrpojs: ${name} received. Stopping: ${what} (${again} to quit at once without saving; continue later with --resume latest)\n`);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    received: () => received,
    onStep: (step) => {
      lastStep = step;
    },
    release: () => handlers.forEach(([name, handler]) => process.off(name, handler)),
  };
}
