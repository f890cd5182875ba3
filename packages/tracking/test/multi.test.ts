import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsoleTracker, MultiTracker, RunDirTracker, TrackingError, WandbTracker, createTrackers, type Tracker } from '../src/index.js';

/** A real in-memory tracker that records calls; `failOn` makes one method reject. */
class Recorder implements Tracker {
  calls: string[] = [];
  constructor(private readonly failOn?: string) {}
  private async call(name: string) {
    this.calls.push(name);
    if (name === this.failOn) throw new Error(`${name} broke`);
  }
  init = () => this.call('init');
  log = (_m: Record<string, number>, step: number) => this.call(`log@${step}`);
  logCompletions = () => this.call('logCompletions');
  summary = () => this.call('summary');
  finish = () => this.call('finish');
  progress = (step: number) => void this.calls.push(`progress@${step}`);
}

describe('MultiTracker', () => {
  it('forwards every call to every tracker; a failing one warns once and does not stop the others', async () => {
    const ok = new Recorder();
    const bad = new Recorder('log@1');
    const warnings: string[] = [];
    const multi = new MultiTracker([bad, ok], (m) => warnings.push(m));
    await multi.init({ name: 'r', config: {} });
    multi.progress(1);
    await multi.log({ loss: 1 }, 1);
    await multi.logCompletions([], 1);
    await multi.summary({});
    await multi.finish();
    expect(ok.calls).toEqual(['init', 'progress@1', 'log@1', 'logCompletions', 'summary', 'finish']);
    expect(bad.calls).toEqual(ok.calls);
    expect(warnings).toEqual(['Recorder.log failed (training continues): log@1 broke']);
  });

  it('forwards progress estimates and evaluation progress; a failing tracker warns once', () => {
    const ok = new Recorder();
    const seen: unknown[] = [];
    Object.assign(ok, { progress: (step: number, estimate?: unknown) => seen.push(['progress', step, estimate]), evalProgress: (p: unknown) => seen.push(['eval', p]) });
    const broken = Object.assign(new Recorder(), { evalProgress: () => { throw new Error('bar broke'); } });
    const warnings: string[] = [];
    const multi = new MultiTracker([broken, ok], (m) => warnings.push(m));
    const progress = { step: 2, rows: 3, total: 6, done: 0, seconds: 0, final: false };
    multi.progress(2, { evalSecondsLeft: 12 });
    multi.evalProgress(progress);
    multi.evalProgress({ ...progress, done: 3, seconds: 1 });
    expect(seen).toEqual([['progress', 2, { evalSecondsLeft: 12 }], ['eval', progress], ['eval', { ...progress, done: 3, seconds: 1 }]]);
    expect(warnings).toEqual(['Recorder.evalProgress failed (training continues): bar broke']);
  });

  it('rethrows argument errors: they are bugs in the caller', async () => {
    const multi = new MultiTracker([new RunDirTracker({ cwd: mkdtempSync(join(tmpdir(), 'multi-')) })]);
    await expect(multi.log({ loss: 1 }, -2)).rejects.toThrow(TrackingError);
  });
});

describe('createTrackers', () => {
  it('builds console + local + wandb (offline from .env) in reportTo order and exposes the run directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'create-'));
    writeFileSync(join(cwd, '.env'), 'WANDB_MODE=offline\nWANDB_PROJECT=from-dotenv\n');
    const env: NodeJS.ProcessEnv = {};
    const printed: string[] = [];
    const multi = createTrackers({
      reportTo: ['console', 'local', 'wandb'],
      cwd,
      env,
      console: { stream: { write: (s: string) => printed.push(s) } },
      wandb: { info: () => undefined },
    });
    expect(multi.trackers.map((t) => t.constructor)).toEqual([ConsoleTracker, RunDirTracker, WandbTracker]);
    expect(env.WANDB_MODE).toBe('offline');
    await multi.init({ name: 'all', config: { seed: 42 }, totalSteps: 2 });
    await multi.log({ loss: 1, reward: 0.5 }, 1);
    await multi.log({ loss: 0.5, reward: 1 }, 2);
    await multi.finish();
    expect(multi.runDir).toMatch(/runs[\\/]all-\d{8}-\d{6}$/);
    expect(readFileSync(join(multi.runDir!, 'report.html'), 'utf8')).toContain('data-metric="reward"');
    const offline = readdirSync(join(cwd, 'wandb'));
    expect(offline).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(cwd, 'wandb', offline[0], 'run.json'), 'utf8')).project).toBe('from-dotenv');
    expect(printed.join('')).toContain('step 2/2 (100%) · loss 0.5 · reward 1');
  });

  it('none builds nothing; an unknown name is an error naming it', () => {
    expect(createTrackers({ reportTo: ['none'], loadDotenv: false }).trackers).toEqual([]);
    expect(() => createTrackers({ reportTo: ['tensorboard' as never], loadDotenv: false })).toThrow(/unknown tracker\(s\) tensorboard; use console, local, wandb or none/);
  });
});
