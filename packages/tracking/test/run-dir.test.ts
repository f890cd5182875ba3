import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunDirTracker, TrackingError } from '../src/index.js';

const fixedNow = () => new Date('2026-11-25T11:45:07.000Z');

describe('RunDirTracker', () => {
  it('writes config.json, metrics.jsonl, completions.jsonl, summary.json and report.html under runs/<name>-<stamp>', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rundir-'));
    const t = new RunDirTracker({ cwd, now: fixedNow });
    await t.init({ name: 'gsm8k/distil gpt2', config: { learningRate: 1e-5, hfToken: 'hf_secret_value' }, totalSteps: 20 });
    expect(basename(t.dir!)).toBe('gsm8k-distil-gpt2-20261125-114507');
    expect(t.dir!.startsWith(join(cwd, 'runs'))).toBe(true);
    await t.log({ loss: 0.5, reward: Number.NaN }, 1);
    await t.log({ loss: 0.25, reward: 1 }, 2);
    await t.logCompletions([{ step: 2, prompt: 'Q?', completion: '<answer>4</answer>', rewards: { correctness: 2, xml: null }, advantage: 0.7 }], 2);
    await t.summary({ eval_accuracy: 0.5 });

    // Durable appends: the lines are on disk before finish.
    const metrics = readFileSync(join(t.dir!, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics).toEqual([
      { step: 1, time: '2026-11-25T11:45:07.000Z', loss: 0.5, reward: null },
      { step: 2, time: '2026-11-25T11:45:07.000Z', loss: 0.25, reward: 1 },
    ]);
    const completions = readFileSync(join(t.dir!, 'completions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(completions).toEqual([{ step: 2, prompt: 'Q?', completion: '<answer>4</answer>', rewards: { correctness: 2, xml: null }, advantage: 0.7 }]);
    await t.finish();

    const config = JSON.parse(readFileSync(join(t.dir!, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ name: 'gsm8k/distil gpt2', totalSteps: 20, config: { learningRate: 1e-5, hfToken: '[redacted]' } });
    expect(JSON.parse(readFileSync(join(t.dir!, 'summary.json'), 'utf8'))).toMatchObject({ eval_accuracy: 0.5, finishedAt: '2026-11-25T11:45:07.000Z' });
    const html = readFileSync(join(t.dir!, 'report.html'), 'utf8');
    expect(html).toContain('data-metric="loss"');
    expect(html).toContain('&lt;answer&gt;4&lt;/answer&gt;');
  });

  it('two runs with the same name and second get distinct directories', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rundir-'));
    const a = new RunDirTracker({ cwd, now: fixedNow, report: false });
    const b = new RunDirTracker({ cwd, now: fixedNow, report: false });
    await a.init({ name: 'x', config: {} });
    await b.init({ name: 'x', config: {} });
    expect(a.dir).not.toBe(b.dir);
    expect(readdirSync(join(cwd, 'runs')).sort()).toEqual(['x-20261125-114507', 'x-20261125-114507-2']);
  });

  it('an explicit dir (resume) appends to the existing files', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rundir-'));
    const first = new RunDirTracker({ cwd, dir: 'runs/resumed', report: false });
    await first.init({ name: 'r', config: {} });
    await first.log({ loss: 1 }, 1);
    await first.finish();
    const second = new RunDirTracker({ cwd, dir: 'runs/resumed', report: false });
    await second.init({ name: 'r', config: {} });
    await second.log({ loss: 2 }, 2);
    await second.finish();
    const steps = readFileSync(join(cwd, 'runs/resumed/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    expect(steps).toEqual([1, 2]);
  });

  it('an unwritable location warns once and never throws', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rundir-'));
    writeFileSync(join(cwd, 'runs'), 'a file where the runs folder should be');
    const warnings: string[] = [];
    const t = new RunDirTracker({ cwd, warn: (m) => warnings.push(m) });
    await t.init({ name: 'r', config: {} });
    await t.log({ loss: 1 }, 1);
    await t.summary({ a: 1 });
    await t.finish();
    expect(t.dir).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not create run directory .*runs/);
  });

  it('rejects a bad step, naming the argument', async () => {
    const t = new RunDirTracker({ cwd: mkdtempSync(join(tmpdir(), 'rundir-')) });
    await expect(t.log({ loss: 1 }, -1)).rejects.toThrow(TrackingError);
    await expect(t.log({ loss: 1 }, 1.5)).rejects.toThrow(/argument "step" must be a non-negative integer, got 1.5/);
  });
});
