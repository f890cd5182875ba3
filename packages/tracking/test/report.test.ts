import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReportHtml, collectSeries, escapeHtml, writeReport, type MetricRow } from '../src/index.js';
import { niceTicks } from '../src/report/chart.js';

const SERIES = ['reward', 'rewards/correctness/mean', 'rewards/xml_count/mean', 'kl', 'completions/mean_length', 'loss', 'learning_rate', 'grad_norm'];

function metrics(): MetricRow[] {
  const rows: MetricRow[] = [];
  for (let step = 10; step <= 100; step += 10) {
    const row: MetricRow = { step, time: '2026-11-25T12:00:00Z' };
    SERIES.forEach((name, i) => (row[name] = Math.sin(step / 20 + i) + i));
    row.kl = step === 50 ? null : 0.001 * step; // a NaN that was logged as null: a gap, not a break
    row.never_finite = null;
    rows.push(row);
    if (step % 50 === 0) rows.push({ step, eval_accuracy: step / 1000, eval_reward: 0.5 });
  }
  return rows;
}

const NASTY = '<reasoning>\n2 < 3 & "x" > \'y\'\n</reasoning>\n<answer>4</answer><script>alert(1)</script>';

describe('buildReportHtml', () => {
  const html = buildReportHtml({
    name: 'run <1>',
    config: { learningRate: 1e-5, note: '</pre><b>' },
    metrics: metrics(),
    completions: [
      { step: 100, prompt: 'What is <2+2>?', completion: NASTY, rewards: { correctness: 2, xml_count: null }, advantage: 0.7071 },
    ],
    summary: { eval_accuracy: 0.1, note: '<i>' },
  });

  it('has one chart per metric series present, each an inline SVG line', () => {
    const charted = [...html.matchAll(/<figure class="chart" data-metric="([^"]+)">/g)].map((m) => m[1]);
    expect(charted.sort()).toEqual([...SERIES, 'eval_accuracy', 'eval_reward'].sort());
    for (const name of charted) {
      const figure = html.slice(html.indexOf(`data-metric="${name}"`), html.indexOf('</figure>', html.indexOf(`data-metric="${name}"`)));
      expect(figure).toMatch(/<svg [^>]*viewBox/);
      expect(figure).toMatch(/<path d="M[\d.]+,[\d.]+L/);
    }
    expect(html).not.toContain('data-metric="never_finite"');
  });

  it('orders sections reward → evaluation → policy → completions', () => {
    const at = (name: string) => html.indexOf(`data-metric="${name}"`);
    expect(at('reward')).toBeLessThan(at('rewards/correctness/mean'));
    expect(at('rewards/xml_count/mean')).toBeLessThan(at('eval_accuracy'));
    expect(at('eval_accuracy')).toBeLessThan(at('eval_reward'));
    expect(at('eval_reward')).toBeLessThan(at('kl'));
    expect(at('kl')).toBeLessThan(at('completions/mean_length'));
  });

  it('escapes completions, prompts, config and summary, and loads nothing external', () => {
    expect(html).toContain('&lt;reasoning&gt;\n2 &lt; 3 &amp; &quot;x&quot; &gt; &#39;y&#39;\n&lt;/reasoning&gt;');
    expect(html).toContain('&lt;answer&gt;4&lt;/answer&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('What is &lt;2+2&gt;?');
    expect(html).not.toContain('<reasoning>');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|url\(/i);
    expect(html).toContain('&lt;/pre&gt;&lt;b&gt;');
    expect(html).toContain('<title>run &lt;1&gt; · grpojs report</title>');
    expect(html).toContain('<td>&lt;i&gt;</td>');
  });

  it('draws a gap where a value was not finite', () => {
    const kl = html.slice(html.indexOf('data-metric="kl"'), html.indexOf('</figure>', html.indexOf('data-metric="kl"')));
    expect(kl.match(/<path d=/g)).toHaveLength(2);
  });
});

describe('report helpers', () => {
  it('collectSeries keeps only metrics with a finite value, sorted by step', () => {
    const series = collectSeries([{ step: 2, a: 1, b: null }, { step: 1, a: 3, b: null }]);
    expect(series).toEqual([{ name: 'a', points: [{ step: 1, value: 3 }, { step: 2, value: 1 }] }]);
  });

  it('niceTicks covers the range with round steps', () => {
    expect(niceTicks(0, 0.85)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(10, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(5, 5)).toEqual([4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6]);
    expect(niceTicks(-3e-6, 2e-6)).toEqual([-3e-6, -2e-6, -1e-6, 0, 1e-6, 2e-6]);
  });

  it('escapeHtml escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('writeReport reads a run directory, skipping a torn last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'crashed', config: { a: 1 } }));
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"loss":1}\n{"step":2,"loss":0.5}\n{"step":3,"lo');
    const html = readFileSync(await writeReport(dir), 'utf8');
    expect(html).toContain('<h1>crashed</h1>');
    expect(html).toContain('2 metric rows · last step 2');
    expect(html).toContain('data-metric="loss"');
  });
});
