import { describe, expect, it } from 'vitest';
import { ConsoleTracker, formatDuration, type ConsoleStream } from '../src/index.js';

function stream(isTTY: boolean): ConsoleStream & { text: () => string } {
  const chunks: string[] = [];
  return { isTTY, columns: 120, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

/** A clock the test advances by hand (ms). */
function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('ConsoleTracker without a TTY (CI)', () => {
  it('prints plain metric lines with progress and ETA every loggingSteps, and no control characters', async () => {
    const out = stream(false);
    const c = clock();
    const t = new ConsoleTracker({ stream: out, loggingSteps: 10, now: c.now });
    await t.init({ name: 'ci-run', config: {}, totalSteps: 100 });
    for (let step = 1; step <= 20; step += 1) {
      c.advance(2000);
      t.progress(step);
      await t.log({ loss: 0.5, reward: 0.25, reward_std: 0.125, kl: 0.0004, 'completions/mean_length': 87.5, learning_rate: 9e-6, epoch: 0.2 }, step);
    }
    await t.log({ eval_accuracy: 0.125 }, 20);
    await t.logCompletions([{ step: 20, prompt: 'p', completion: '<reasoning>\n2+2</reasoning>\n<answer>4</answer>', rewards: { correctness: 2 }, advantage: 0.5 }], 20);
    await t.summary({ eval_accuracy: 0.125 });
    c.advance(1000);
    await t.finish();
    const lines = out.text().trimEnd().split('\n');
    expect(out.text()).not.toMatch(/\x1b/);
    expect(lines[0]).toBe('run ci-run · 100 steps');
    expect(lines[1]).toBe('step 10/100 (10%) · loss 0.5 · reward 0.25 · ± 0.125 · kl 4.00e-4 · len 87.5 · lr 9.00e-6 · 2 s/step · ETA 3m00s');
    expect(lines[2]).toBe('step 20/100 (20%) · loss 0.5 · reward 0.25 · ± 0.125 · kl 4.00e-4 · len 87.5 · lr 9.00e-6 · 2 s/step · ETA 2m40s');
    expect(lines[3]).toBe('step 20/100 (20%) · eval_accuracy 0.125 · 2 s/step · ETA 2m40s');
    expect(lines[4]).toBe('  sample @20: <reasoning> 2+2</reasoning> <answer>4</answer> | correctness=2 | adv 0.5');
    expect(lines[5]).toBe('summary: eval_accuracy 0.125');
    expect(lines[6]).toBe('done in 41s');
    expect(lines).toHaveLength(7);
  });

  it('shows an evaluation under way (header, a line per quarter with rate and ETA) and keeps its time out of s/step', async () => {
    const out = stream(false);
    const c = clock();
    const t = new ConsoleTracker({ stream: out, now: c.now });
    await t.init({ name: 'ci-run', config: {}, totalSteps: 100 });
    for (let step = 1; step <= 20; step += 1) {
      c.advance(2000);
      t.progress(step, { evalSecondsLeft: 600 }); // 5 evaluations of 120 s to come
    }
    await t.log({ loss: 1 }, 20);
    // 40 rows, fine-tuned and base: 80 completions in 10 generate calls of 8, 4 s each.
    t.evalProgress({ step: 20, rows: 40, total: 80, done: 0, seconds: 0, final: false });
    for (let done = 8; done <= 80; done += 8) {
      c.advance(4000);
      t.evalProgress({ step: 20, rows: 40, total: 80, done, seconds: (done / 8) * 4, final: false });
    }
    t.progress(20, { evalSecondsLeft: 4 * 20 }); // measured: 4 evaluations of 40 base-cached completions, 20 s each
    await t.log({ eval_accuracy: 0.5 }, 20);
    const lines = out.text().trimEnd().split('\n');
    expect(lines[1]).toBe('step 20/100 (20%) · loss 1 · 2 s/step · ETA 12m40s'); // 80 steps × 2 s + 600 s of evaluation
    expect(lines[2]).toBe('step 20/100 (20%) · periodic evaluation: 40 rows, 80 greedy completions (fine-tuned and base)');
    expect(lines.slice(3, 7)).toEqual([
      '  eval 24/80 (30%) · 2 completions/s · ETA 28s',
      '  eval 40/80 (50%) · 2 completions/s · ETA 20s',
      '  eval 64/80 (80%) · 2 completions/s · ETA 8s',
      '  eval 80/80 (100%) · 2 completions/s · ETA 0s',
    ]);
    // 80 s of wall time: 40 of steps, 40 of evaluation; the ETA adds the 80 s of evaluations to come.
    expect(lines[7]).toBe('step 20/100 (20%) · eval_accuracy 0.5 · 2 s/step · ETA 4m00s');
    expect(lines).toHaveLength(8);
  });

  it('says when the base model is cached and the evaluation is the final one', async () => {
    const out = stream(false);
    const t = new ConsoleTracker({ stream: out });
    await t.init({ name: 'r', config: {}, totalSteps: 10 });
    t.evalProgress({ step: 10, rows: 5, total: 5, done: 0, seconds: 0, final: true });
    t.evalProgress({ step: 10, rows: 5, total: 5, done: 5, seconds: 1, final: true });
    expect(out.text()).toContain('step 10/10 (100%) · final evaluation: 5 rows, 5 greedy completions (fine-tuned; base cached)\n  eval 5/5 (100%) · 5 completions/s · ETA 0s\n');
  });

  it('counts ETA from startStep for a resumed run', async () => {
    const out = stream(false);
    const c = clock();
    const t = new ConsoleTracker({ stream: out, now: c.now });
    await t.init({ name: 'r', config: {}, totalSteps: 100, startStep: 50 });
    c.advance(10_000);
    await t.log({ loss: 1 }, 60);
    expect(out.text()).toContain('step 60/100 (60%) · loss 1 · 1 s/step · ETA 40s');
  });
});

/** The eval_ metrics the trainer logs for the smoke preset's 8 reward functions (fine-tuned and base). */
function smokeEvalMetrics(): Record<string, number> {
  const names = ['correctness', 'format', 'strict_format', 'numeric', 'conciseness', 'repetition', 'cot_clarity', 'smoke_length'];
  const metrics: Record<string, number> = { eval_reward: 1.5, 'eval_completions/mean_length': 32, eval_accuracy: 0.5 };
  Object.assign(metrics, { eval_base_reward: 1.32, 'eval_base_completions/mean_length': 31.25, eval_base_accuracy: 0 });
  for (const [i, name] of names.entries()) {
    metrics[`eval_rewards/${name}/mean`] = i === 5 ? -0.5 : i / 8;
    metrics[`eval_base_rewards/${name}/mean`] = i === 5 ? -0.75 : 0;
  }
  return metrics;
}

describe('ConsoleTracker evaluation and summary', () => {
  it('prints an eval log as a fine-tuned vs base table under a step header, every line <= 120 characters', async () => {
    const out = stream(false);
    const c = clock();
    const t = new ConsoleTracker({ stream: out, now: c.now });
    await t.init({ name: 'smoke-GRPO', config: {}, totalSteps: 2 });
    c.advance(2000);
    await t.log(smokeEvalMetrics(), 1);
    const lines = out.text().trimEnd().split('\n').slice(1);
    expect(lines).toEqual([
      'step 1/2 (50%) · evaluation · 2 s/step · ETA 2s',
      '                         fine-tuned        base',
      '  accuracy                   0.5000      0.0000',
      '  reward                     1.5000      1.3200',
      '  completion length         32.0000     31.2500',
      '  rewards/correctness        0.0000      0.0000',
      '  rewards/format             0.1250      0.0000',
      '  rewards/strict_format      0.2500      0.0000',
      '  rewards/numeric            0.3750      0.0000',
      '  rewards/conciseness        0.5000      0.0000',
      '  rewards/repetition        -0.5000     -0.7500',
      '  rewards/cot_clarity        0.7500      0.0000',
      '  rewards/smoke_length       0.8750      0.0000',
    ]);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(120);
  });

  it('keeps eval metrics outside the table on the header, and drops the base column without base metrics', async () => {
    const out = stream(false);
    const c = clock();
    const t = new ConsoleTracker({ stream: out, now: c.now });
    await t.init({ name: 'r', config: {} });
    c.advance(8000);
    await t.log({ eval_reward: 2, eval_custom: 7, 'eval_rewards/correctness/mean': 1 }, 4);
    expect(out.text().trimEnd().split('\n').slice(1)).toEqual([
      'step 4 · evaluation · eval_custom 7 · 2 s/step',
      '                       fine-tuned',
      '  accuracy                    n/a',
      '  reward                   2.0000',
      '  completion length           n/a',
      '  rewards/correctness      1.0000',
    ]);
  });

  it('prints the summary as a few short lines: the values, then accuracy and reward fine-tuned vs base', async () => {
    const out = stream(false);
    const t = new ConsoleTracker({ stream: out });
    await t.summary({ globalStep: 2, skippedSteps: 0, ...smokeEvalMetrics() });
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toEqual(['summary: globalStep 2 · skippedSteps 0', '  final eval: accuracy 0.5 (base 0) · reward 1.5 (base 1.32)']);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(120);
  });

  it('wraps many summary values at 120 characters, and leaves accuracy out when there is none', async () => {
    const out = stream(false);
    const t = new ConsoleTracker({ stream: out });
    const values = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`value_number_${i}`, i]));
    await t.summary({ ...values, eval_reward: 0.25 });
    const lines = out.text().trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(120);
    expect(lines.join(' · ').replace(/ {2}/g, '')).toBe(`summary: ${Object.keys(values).map((k, i) => `${k} ${i}`).join(' · ')} · final eval: reward 0.25`);
  });
});

describe('ConsoleTracker on a TTY', () => {
  it('draws a cli-progress bar with ETA and prints metric lines above it', async () => {
    const out = stream(true);
    const t = new ConsoleTracker({ stream: out });
    await t.init({ name: 'tty-run', config: {}, totalSteps: 4 });
    for (let step = 1; step <= 4; step += 1) {
      t.progress(step);
      await t.log({ loss: 1 / step }, step);
    }
    await t.finish();
    const text = out.text();
    expect(text).toMatch(/\x1b\[/); // cursor control: a live bar
    expect(text).toContain('4/4 steps');
    expect(text).toContain('ETA');
    expect(text).toContain('step 2/4 (50%) · loss 0.5');
    expect(text).toMatch(/done in \d+s\n$/);
  });

  it('draws an evaluation bar while an evaluation runs and puts the evaluations to come in the ETA', async () => {
    const out = stream(true);
    const c = clock();
    const t = new ConsoleTracker({ stream: out, now: c.now });
    await t.init({ name: 'tty-run', config: {}, totalSteps: 4 });
    c.advance(2000);
    t.progress(1, { evalSecondsLeft: 3600 });
    t.evalProgress({ step: 1, rows: 4, total: 8, done: 0, seconds: 0, final: false });
    c.advance(2000);
    t.evalProgress({ step: 1, rows: 4, total: 8, done: 4, seconds: 2, final: false });
    t.evalProgress({ step: 1, rows: 4, total: 8, done: 8, seconds: 4, final: false });
    await t.finish();
    const text = out.text();
    expect(text).toContain('periodic evaluation: 4 rows, 8 greedy completions');
    expect(text).toMatch(/4\/8 eval completions \| 2\/s \| ETA 2s/);
    expect(text).toMatch(/1\/4 steps \| 25% \| ETA 1h00m/); // 3 steps × 2 s + 3600 s of evaluation
  });

  it('prints an eval table above the bar, one line at a time', async () => {
    const out = stream(true);
    const t = new ConsoleTracker({ stream: out });
    await t.init({ name: 'tty-run', config: {}, totalSteps: 4 });
    t.progress(2);
    await t.log(smokeEvalMetrics(), 2);
    await t.log({ ...smokeEvalMetrics(), eval_samples: 200 }, 2);
    await t.finish();
    expect(out.text()).toContain('step 2/4 (50%) · evaluation');
    expect(out.text()).toContain('step 2/4 (50%) · evaluation · 200 rows'); // eval_samples, not a metric of its own
    expect(out.text()).not.toContain('eval_samples');
    expect(out.text()).toMatch(/ {2}rewards\/repetition {8}-0\.5000 {5}-0\.7500/);
  });
});

describe('formatDuration', () => {
  it('formats seconds, minutes and hours', () => {
    expect([formatDuration(5.4), formatDuration(189), formatDuration(7500)]).toEqual(['5s', '3m09s', '2h05m']);
  });
});
