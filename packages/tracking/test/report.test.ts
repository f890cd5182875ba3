import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildReportHtml, collectSeries, escapeHtml, writeReport } from '../src/index.js';
import { niceTicks } from '../src/report/ticks.js';
import { REWARD_FNS, SILENT_FNS, syntheticRun } from './report-fixture.js';

const figureOf = (html: string, name: string) => {
  const start = html.indexOf(`data-metric="${name}"`);
  return start === -1 ? '' : html.slice(start, html.indexOf('</figure>', start));
};
const charted = (html: string) => [...html.matchAll(/<figure class="chart" data-metric="([^"]+)">/g)].map((m) => m[1]);

describe('buildReportHtml', () => {
  const html = buildReportHtml(syntheticRun());

  it('opens with the fine-tuned vs base evaluation table, before any chart', () => {
    const table = html.slice(html.indexOf('<table class="eval">'), html.indexOf('</table>', html.indexOf('<table class="eval">')));
    expect(html.indexOf('<section id="evaluation">')).toBeLessThan(html.indexOf('<section'.concat(' id="training"')));
    expect(html.indexOf('<section id="evaluation">')).toBe(html.indexOf('<section'));
    expect(html.indexOf('<table class="eval">')).toBeLessThan(html.indexOf('<svg'));
    expect(html).toContain('<h2>Evaluation at step 40 (latest of 4)');
    expect(table).toContain('<th class="num">fine-tuned</th><th class="num">base</th><th class="num">change</th>');
    expect(table).toContain('<tr class="key"><th>accuracy</th><td class="num">38.0%</td><td class="num">18.0%</td><td class="num up">+20.0 pts</td></tr>');
    expect(table).toContain('<th>completion length</th><td class="num">80.0</td><td class="num">118.0</td><td class="num same">−38.0</td>');
    for (const fn of REWARD_FNS) expect(table).toContain(`<th>rewards/${fn}</th>`);
  });

  it('charts reward, each changing reward function, loss, KL, entropy and lengths first, in that order', () => {
    const training = charted(html.slice(html.indexOf('<section id="training">'), html.indexOf('<section id="samples">')));
    const firing = REWARD_FNS.filter((fn) => !SILENT_FNS.includes(fn)).map((fn) => `rewards/${fn}/mean`);
    expect(training).toEqual(['reward', ...firing, 'loss', 'kl', 'entropy', 'completions/mean_length']);
    expect(figureOf(html, 'reward')).toContain('<path d="M');
    expect(figureOf(html, 'reward')).toMatch(/class="band"><title>± reward_std<\/title>/);
    expect(figureOf(html, 'completions/mean_length')).toContain('completions/min_length … completions/max_length');
    expect(charted(html.slice(html.indexOf('<section id="evaluation">'), html.indexOf('<section id="training">')))).toEqual(['eval_accuracy', 'eval_reward']);
  });

  it('folds constant series into one collapsed list instead of charting them', () => {
    const constant = html.slice(html.indexOf('<section id="constant">'), html.indexOf('</section>', html.indexOf('<section id="constant">')));
    expect(constant).toMatch(/^<section id="constant"><details><summary>\d+ constant series, not charted<\/summary>/);
    for (const fn of SILENT_FNS) {
      expect(constant).toContain(`<li><code>rewards/${fn}/mean</code> = 0</li>`);
      expect(html).not.toContain(`data-metric="rewards/${fn}/mean"`);
    }
    expect(constant).toContain('<li><code>clip_ratio/high_max</code> = 0</li>');
    expect(constant).toContain('<li><code>eval_base_accuracy</code> = 0.18</li>');
    // A series charted as a band of another chart is not charted again.
    expect(charted(html)).not.toContain('reward_std');
    expect(charted(html)).toContain('grad_norm');
  });

  it('charts every changing series exactly once, as its own chart or as a band of another', () => {
    const series = collectSeries(syntheticRun().metrics);
    const changing = series.filter((s) => new Set(s.points.flatMap((p) => (p.value === null ? [] : [p.value]))).size > 1).map((s) => s.name);
    const bands = [...html.matchAll(/class="band"><title>([^<]*)<\/title>/g)].map((m) => m[1].replace(/^± /, '').split(' … ')).flat();
    const own = charted(html);
    for (const name of changing) expect(own.filter((n) => n === name).length + bands.filter((n) => n === name).length, name).toBe(1);
  });

  it('shows the newest samples first, grouped by step and prompt', () => {
    const steps = [...html.matchAll(/<span class="step">step (\d+)<\/span>/g)].map((m) => Number(m[1]));
    expect(steps).toEqual([40, 30, 20, 10]);
    const first = html.indexOf('<div class="sample">');
    expect(html.slice(first, html.indexOf('</div></div>', first))).toContain('Step 40, sample 0');
  });

  it('gives every chart y-tick labels that differ, also for the narrow entropy range', () => {
    for (const name of charted(html)) {
      const labels = [...figureOf(html, name).matchAll(/class="tick y">([^<]*)</g)].map((m) => m[1]);
      expect(labels.length, name).toBeGreaterThanOrEqual(3);
      expect(new Set(labels).size, name).toBe(labels.length);
    }
    expect([...figureOf(html, 'entropy').matchAll(/class="tick y">([^<]*)</g)].map((m) => m[1])).toEqual(['10.820', '10.821', '10.822', '10.823', '10.824']);
  });

  it('draws a gap where a value was not finite', () => {
    expect(figureOf(html, 'kl').match(/<path d=/g)).toHaveLength(2);
  });

  it('loads nothing external and runs nothing: no scripts, links, images, frames or urls', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|url\(|javascript:/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect([...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]).every((h) => /^#[a-z]+$/.test(h))).toBe(true);
  });

  it('draws a long series faint, under its moving average, with a dot on the last point only', () => {
    const metrics = Array.from({ length: 300 }, (_, i) => ({ step: i + 1, loss: (i % 2 === 0 ? 1 : -1) + i / 300 }));
    const loss = figureOf(buildReportHtml({ name: 'long', metrics, completions: [] }), 'loss');
    expect(loss.match(/class="line raw"/g)).toHaveLength(1);
    expect(loss.match(/class="line main"/g)).toHaveLength(1);
    expect(loss.match(/<circle /g)).toHaveLength(1);
    expect(loss).toContain('loss (moving average of ~10 points)');
    // The average of a ±1 zigzag stays near its trend, well inside the raw range.
    const smooth = /<path d="M([^"]+)" class="line main"/.exec(loss)?.[1].split('L').map((xy) => Number(xy.split(',')[1])) ?? [];
    const raw = /<path d="M([^"]+)" class="line raw"/.exec(loss)?.[1].split('L').map((xy) => Number(xy.split(',')[1])) ?? [];
    expect(Math.max(...smooth) - Math.min(...smooth)).toBeLessThan((Math.max(...raw) - Math.min(...raw)) / 2);
  });

  it('says so when nothing was logged', () => {
    const empty = buildReportHtml({ name: 'empty', metrics: [], completions: [] });
    expect(empty).toContain('No metrics were logged.');
    expect(empty).toContain('No evaluation was logged');
  });

  it('does not join periodic evaluations on a sample and the final one on every row into one curve', () => {
    const evalRow = (step: number, rows: number, acc: number, base: number) => ({ step, eval_samples: rows, eval_accuracy: acc, eval_base_accuracy: base, eval_reward: acc, eval_base_reward: base });
    const mixed = buildReportHtml({ name: 'x', completions: [], metrics: [evalRow(10, 4, 0.25, 0.2), evalRow(20, 4, 0.5, 0.2), evalRow(30, 8, 0.375, 0.25)] });
    const accuracyChart = /<figure[^>]*>(?:(?!<\/figure>)[\s\S])*?aria-label="eval_accuracy over steps"[\s\S]*?<\/figure>/.exec(mixed)?.[0] ?? '';
    for (const key of ['fine-tuned · 4 rows', 'fine-tuned · 8 rows', 'base · 4 rows', 'base · 8 rows']) expect(accuracyChart).toContain(key);
    // The sampled line has two points joined by one segment; the 8-row evaluation stands alone.
    expect(accuracyChart.match(/<path d="M[^"]*L[^"]*" class="line main"/g)).toHaveLength(1);
    const single = buildReportHtml({ name: 'x', completions: [], metrics: [evalRow(10, 8, 0.25, 0.2), evalRow(20, 8, 0.5, 0.2)] });
    expect(single).toContain('>fine-tuned</span>');
    expect(single).not.toContain('· 8 rows');
  });

  it('takes the headline from summary.json when metrics.jsonl has no evaluation', () => {
    const fromSummary = buildReportHtml({ name: 'x', metrics: [], completions: [], summary: { eval_reward: 0.5, eval_base_reward: 0.25, eval_accuracy: 0.5 } });
    expect(fromSummary).toContain('<h2>Evaluation<small>');
    expect(fromSummary).toContain('<th>reward</th><td class="num">0.5000</td><td class="num">0.2500</td><td class="num up">+0.2500</td>');
  });
});

describe('niceTicks', () => {
  it('covers the range with round steps', () => {
    expect(niceTicks(0, 0.85).values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(10, 100).values).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.1, 0.3).values).toEqual([0.1, 0.15, 0.2, 0.25, 0.3]);
  });

  it('labels a narrow range with enough decimals that the labels differ', () => {
    expect(niceTicks(10.8201, 10.8234).labels).toEqual(['10.820', '10.821', '10.822', '10.823', '10.824']);
    expect(niceTicks(10.8201, 10.8214).labels).toEqual(['10.8200', '10.8205', '10.8210', '10.8215']);
    expect(niceTicks(1e6 + 0.001, 1e6 + 0.002).labels).toEqual(['1000000.0010', '1000000.0012', '1000000.0014', '1000000.0016', '1000000.0018', '1000000.0020']);
  });

  it('widens an empty range around its value', () => {
    expect(niceTicks(0, 0)).toEqual({ values: [-1, -0.5, 0, 0.5, 1], step: 0.5, labels: ['-1.0', '-0.5', '0.0', '0.5', '1.0'] });
    expect(niceTicks(5, 5).labels).toEqual(['4.4', '4.6', '4.8', '5.0', '5.2', '5.4', '5.6']);
    expect(niceTicks(-2.5, -2.5).values).toEqual([-2.8, -2.7, -2.6, -2.5, -2.4, -2.3, -2.2]);
  });

  it('handles negative, tiny and huge ranges', () => {
    expect(niceTicks(-3, -1).labels).toEqual(['-3.0', '-2.5', '-2.0', '-1.5', '-1.0']);
    expect(niceTicks(-3e-6, 2e-6).labels).toEqual(['-3e-6', '-2e-6', '-1e-6', '0', '1e-6', '2e-6']);
    expect(niceTicks(0, 4.2e11).labels).toEqual(['0', '1e+11', '2e+11', '3e+11', '4e+11', '5e+11']);
    expect(niceTicks(-1e308, 1.7e308).values.every(Number.isFinite)).toBe(true);
    expect(niceTicks(1, 3, { integer: true }).values).toEqual([1, 2, 3]);
    expect(() => niceTicks(0, Number.NaN)).toThrow(/lo and hi must be finite/);
  });

  it('always covers [lo, hi] with 2 to 12 ticks whose labels differ (property)', () => {
    const value = fc.oneof(fc.double({ min: -1e12, max: 1e12, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: -1000, max: 1000 }));
    fc.assert(fc.property(value, value, fc.double({ min: 0, max: 1e-3, noNaN: true }), (a, b, tiny) => {
      const [lo, hi] = [Math.min(a, b), Math.max(a, b) + tiny * Math.abs(a)];
      const { values, labels, step } = niceTicks(lo, hi);
      expect(values.length).toBeGreaterThanOrEqual(2);
      expect(values.length).toBeLessThanOrEqual(12);
      // Covered up to a millionth of the spacing (rounding at the ends is allowed that much).
      expect(values[0]).toBeLessThanOrEqual(lo + step * 1e-6);
      expect(values.at(-1)).toBeGreaterThanOrEqual(hi - step * 1e-6);
      expect(new Set(labels).size).toBe(labels.length);
    }), { numRuns: 2000 });
  });
});

describe('report helpers', () => {
  it('collectSeries keeps only metrics with a finite value, sorted by step', () => {
    const series = collectSeries([{ step: 2, a: 1, b: null }, { step: 1, a: 3, b: null }]);
    expect(series).toEqual([{ name: 'a', points: [{ step: 1, value: 3 }, { step: 2, value: 1 }] }]);
  });

  it('escapeHtml escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('writeReport reads a run directory, skipping a torn last line and rows of the wrong shape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'crashed', totalSteps: 10, config: { a: 1 } }));
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"loss":1}\n{"step":"x","loss":3}\n{"step":2,"loss":0.5}\n{"step":3,"lo');
    writeFileSync(join(dir, 'completions.jsonl'), '{"step":2,"prompt":"p","completion":{"text":"c"},"rewards":{"r":"1"},"advantage":0.5}\n');
    const html = readFileSync(await writeReport(dir), 'utf8');
    expect(html).toContain('<h1>crashed</h1>');
    expect(html).toContain('step 2 of 10');
    expect(html).toContain('data-metric="loss"');
    expect(html).toContain('{&quot;text&quot;:&quot;c&quot;}');
    expect(html).toContain('<span class="chip zero"><span>r</span> –</span>');
  });
});
