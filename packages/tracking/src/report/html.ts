/**
 * Builds report.html from a run's data: a summary, curves for every metric series (grouped the way
 * one reads a GRPO run: reward first, then evaluation, policy, completions), and a table of sample
 * completions. One string, no external scripts, styles or fonts, so it opens anywhere offline.
 */
import type { CompletionRecord } from '../tracker.js';
import { lineChartSvg, type Series } from './chart.js';
import { escapeHtml, formatNumber } from './escape.js';

/** One line of metrics.jsonl: the step, a timestamp, and metric values (null where NaN/∞ was logged). */
export interface MetricRow {
  step: number;
  time?: string;
  [metric: string]: number | string | null | undefined;
}

/** Everything the report shows. */
export interface ReportData {
  name: string;
  config?: Record<string, unknown>;
  metrics: MetricRow[];
  completions: CompletionRecord[];
  summary?: Record<string, unknown>;
  /** How many completions (the most recent) the table shows; default 64. */
  maxCompletions?: number;
}

/** Every metric with at least one finite value, as a series sorted by step. */
export function collectSeries(rows: readonly MetricRow[]): Series[] {
  const byName = new Map<string, Series['points']>();
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (key === 'step' || key === 'time' || (typeof value !== 'number' && value !== null)) continue;
      const points = byName.get(key) ?? [];
      points.push({ step: row.step, value: typeof value === 'number' && Number.isFinite(value) ? value : null });
      byName.set(key, points);
    }
  }
  return [...byName.entries()]
    .filter(([, points]) => points.some((p) => p.value !== null))
    .map(([name, points]) => ({ name, points: points.sort((a, b) => a.step - b.step) }));
}

/** Section title for a metric name; the order of SECTIONS is the order on the page. */
const SECTIONS: { title: string; test: (name: string) => boolean; order?: string[] }[] = [
  { title: 'Reward', test: (n) => n === 'reward' || n === 'reward_std' || /^rewards\/.+\/mean$/.test(n), order: ['reward', 'reward_std'] },
  { title: 'Evaluation', test: (n) => n.startsWith('eval_'), order: ['eval_accuracy'] },
  { title: 'Policy', test: (n) => ['loss', 'kl', 'learning_rate', 'grad_norm', 'entropy'].includes(n) || n.startsWith('clip_ratio/'), order: ['kl', 'loss', 'learning_rate', 'grad_norm'] },
  { title: 'Completions', test: (n) => n.startsWith('completions/'), order: ['completions/mean_length'] },
  { title: 'Other', test: () => true },
];

function sectionOf(name: string): number {
  return SECTIONS.findIndex((s) => s.test(name));
}

function rank(name: string, section: number): number {
  const index = SECTIONS[section].order?.indexOf(name) ?? -1;
  return index === -1 ? 1000 : index;
}

/** The complete report.html text. */
export function buildReportHtml(data: ReportData): string {
  const series = collectSeries(data.metrics);
  const sections = SECTIONS.map((section, i) => ({
    title: section.title,
    series: series
      .filter((s) => sectionOf(s.name) === i)
      .sort((a, b) => rank(a.name, i) - rank(b.name, i) || a.name.localeCompare(b.name)),
  })).filter((s) => s.series.length > 0);

  const charts = sections
    .map((section) => `<section><h2>${escapeHtml(section.title)}</h2><div class="charts">${section.series.map(figure).join('')}</div></section>`)
    .join('\n');
  const lastStep = data.metrics.length > 0 ? Math.max(...data.metrics.map((r) => r.step)) : null;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.name)} · grpojs report</title>
<style>${STYLE}</style></head>
<body>
<header><h1>${escapeHtml(data.name)}</h1>
<p class="meta">${data.metrics.length} metric rows · last step ${lastStep ?? '–'} · ${data.completions.length} completions · ${series.length} series</p></header>
${summaryTable(data.summary)}
${charts || '<p class="empty">No metrics were logged.</p>'}
${completionsTable(data.completions, data.maxCompletions ?? 64)}
${data.config ? `<section><h2>Config</h2><details><summary>config.json</summary><pre>${escapeHtml(JSON.stringify(data.config, null, 2))}</pre></details></section>` : ''}
</body></html>
`;
}

function figure(series: Series): string {
  const last = [...series.points].reverse().find((p) => p.value !== null)?.value ?? null;
  return `<figure class="chart" data-metric="${escapeHtml(series.name)}"><figcaption><b>${escapeHtml(series.name)}</b>` +
    `<span>last ${escapeHtml(formatNumber(last))}</span></figcaption>${lineChartSvg(series)}</figure>`;
}

function summaryTable(summary: Record<string, unknown> | undefined): string {
  const entries = Object.entries(summary ?? {});
  if (entries.length === 0) return '';
  const rows = entries
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(typeof v === 'number' ? formatNumber(v) : typeof v === 'string' ? v : JSON.stringify(v))}</td></tr>`)
    .join('');
  return `<section><h2>Summary</h2><table class="summary">${rows}</table></section>`;
}

function completionsTable(all: readonly CompletionRecord[], max: number): string {
  if (all.length === 0) return '';
  const shown = all.slice(-max);
  const fns = [...new Set(shown.flatMap((c) => Object.keys(c.rewards ?? {})))];
  const head = `<tr><th>step</th><th>prompt / completion</th>${fns.map((f) => `<th class="num">${escapeHtml(f)}</th>`).join('')}<th class="num">advantage</th></tr>`;
  const body = shown
    .map((c) => `<tr><td class="num">${c.step}</td><td><details><summary>prompt</summary><pre>${escapeHtml(c.prompt)}</pre></details>` +
      `<pre class="completion">${escapeHtml(c.completion)}</pre></td>` +
      fns.map((f) => `<td class="num">${escapeHtml(formatNumber(c.rewards?.[f] ?? null))}</td>`).join('') +
      `<td class="num">${escapeHtml(formatNumber(c.advantage))}</td></tr>`)
    .join('\n');
  const note = all.length > shown.length ? ` (the last ${shown.length} of ${all.length})` : '';
  return `<section><h2>Sample completions${note}</h2><table class="completions"><thead>${head}</thead><tbody>${body}</tbody></table></section>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid #e3e6ec;padding-bottom:4px}
.meta{color:#667085;margin:4px 0 0}.empty{color:#667085}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(370px,1fr));gap:12px}
figure.chart{margin:0;border:1px solid #e3e6ec;border-radius:6px;padding:8px 8px 2px}
figcaption{display:flex;justify-content:space-between;font-size:13px;margin-bottom:2px}figcaption span{color:#667085}
svg text{font-size:10px;fill:#667085}svg .grid{stroke:#eef0f4}svg .axis{stroke:#98a2b3}
svg .line{fill:none;stroke:#3b6fd8;stroke-width:1.6}svg .dot{fill:#3b6fd8}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #eef0f4;padding:5px 8px;text-align:left;vertical-align:top}
table.summary{width:auto}table.summary th{font-weight:500;color:#475467}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
pre{white-space:pre-wrap;word-break:break-word;margin:4px 0;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre.completion{background:#f7f8fa;padding:6px 8px;border-radius:4px}
details summary{cursor:pointer;color:#475467;font-size:12px}
`;
