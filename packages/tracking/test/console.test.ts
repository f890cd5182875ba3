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
});

describe('formatDuration', () => {
  it('formats seconds, minutes and hours', () => {
    expect([formatDuration(5.4), formatDuration(189), formatDuration(7500)]).toEqual(['5s', '3m09s', '2h05m']);
  });
});
