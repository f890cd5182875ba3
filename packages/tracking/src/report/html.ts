/**
 * Builds report.html from a run's data, in the order one reads a GRPO run: the headline (fine-tuned
 * vs base evaluation), then the training curves that say whether it learned (reward and each reward
 * function, loss, KL, entropy, completion lengths), then sample completions newest first, then every
 * other metric. Series that never changed are not charted but listed, folded, with their value.
 * One string, no scripts, no external styles or fonts, so it opens anywhere offline; a
 * Content-Security-Policy that allows inline styles only backs up the escaping in escape.ts.
 */
import { isComparisonMetric } from '../compare-table.js';
import type { CompletionRecord } from '../tracker.js';
import { lineChartSvg, smoothingWindow, type ChartSpec, type Point, type Series } from './chart.js';
import { formatNumber, html, unsafeHtml, type Html } from './escape.js';
import { evalTable, latestEval } from './eval-table.js';
import { samplesSection } from './samples.js';
import { collectSeries, constantValue, type MetricRow } from './series.js';
import { STYLE } from './style.js';

/** Everything the report shows. */
export interface ReportData {
  name: string;
  config?: Record<string, unknown>;
  metrics: MetricRow[];
  completions: CompletionRecord[];
  summary?: Record<string, unknown>;
  /** From config.json, when known: the planned number of steps and when the run started. */
  totalSteps?: number | null;
  startedAt?: string;
  /** How many completions (the newest) the samples show; default 64. */
  maxCompletions?: number;
}

/** The complete report.html text. */
export function buildReportHtml(data: ReportData): string {
  const all = collectSeries(data.metrics);
  const byName = new Map(all.map((s) => [s.name, s]));
  const constant = all.filter((s) => constantValue(s) !== undefined);
  const changing = (name: string) => {
    const series = byName.get(name);
    return series !== undefined && constantValue(series) === undefined ? series : undefined;
  };
  // Series drawn in a headline chart (as a line or band) are not drawn again under More metrics.
  const used = new Set<string>();
  const use = (spec: ChartSpec, names: (string | undefined)[]) => {
    for (const name of names) if (name !== undefined) used.add(name);
    return spec;
  };

  // Headline evaluation: the table, and its history (fine-tuned and base) after several evaluations.
  const latest = latestEval(data.metrics, data.summary);
  const evalRows = new Map((byName.get('eval_samples')?.points ?? []).map((p) => [p.step, p.value]));
  const evalCharts = ['eval_accuracy', 'eval_reward'].flatMap((name) => {
    const model = byName.get(name);
    if (model === undefined || model.points.filter((p) => p.value !== null).length < 2) return [];
    const baseName = name.replace('eval_', 'eval_base_');
    const base = byName.get(baseName);
    const lines: ChartSpec['lines'] = [
      ...splitByEvalRows('fine-tuned', model.points, evalRows),
      ...(base === undefined ? [] : splitByEvalRows('base', base.points, evalRows).map((l) => ({ ...l, style: 'base' as const }))),
    ];
    return [use({ name, lines }, [name, base && baseName, lines.length > (base === undefined ? 1 : 2) ? 'eval_samples' : undefined])];
  });

  // Training curves, each with its spread as a band where the trainer logged one.
  const line = (name: string): ChartSpec[] => {
    const main = changing(name);
    return main === undefined ? [] : [use({ name, lines: [{ label: name, points: main.points }] }, [name])];
  };
  const plusMinus = (name: string, stdName: string): ChartSpec[] => {
    const [main, std] = [changing(name), byName.get(stdName)];
    if (main === undefined || std === undefined) return line(name);
    const stdAt = new Map(std.points.map((p) => [p.step, p.value]));
    const shifted = (sign: number) => main.points.map((p) => {
      const spread = stdAt.get(p.step);
      return { step: p.step, value: p.value === null || spread === null || spread === undefined ? null : p.value + sign * spread };
    });
    return [use({ name, lines: [{ label: name, points: main.points }], band: { label: `± ${stdName}`, low: shifted(-1), high: shifted(1) } }, [name, stdName])];
  };
  const between = (name: string, lowName: string, highName: string): ChartSpec[] => {
    const [main, low, high] = [changing(name), byName.get(lowName), byName.get(highName)];
    if (main === undefined || low === undefined || high === undefined) return line(name);
    return [use({ name, lines: [{ label: name, points: main.points }], band: { label: `${lowName} … ${highName}`, low: low.points, high: high.points } }, [name, lowName, highName])];
  };
  // The s flag: a reward function's name is user-chosen and may hold a newline.
  const rewardFns = all.map((s) => s.name).filter((n) => /^rewards\/.+\/mean$/s.test(n));
  const training = [
    ...plusMinus('reward', 'reward_std'),
    ...rewardFns.flatMap((n) => plusMinus(n, n.replace(/\/mean$/, '/std'))),
    ...line('loss'),
    ...line('kl'),
    ...line('entropy'),
    ...between('completions/mean_length', 'completions/min_length', 'completions/max_length'),
  ];

  const more = all
    .filter((s) => !used.has(s.name) && constantValue(s) === undefined)
    .map((s): ChartSpec => ({ name: s.name, lines: [{ label: s.name, points: s.points }] }));

  const lastStep = data.metrics.length > 0 ? Math.max(...data.metrics.map((r) => r.step)) : null;
  const sections = [
    evaluationSection(latest, evalCharts),
    training.length > 0 ? html`<section id="training"><h2>Training</h2><div class="charts wide">${training.map(figure)}</div></section>` : html``,
    samplesSection(data.completions, data.maxCompletions ?? 64),
    more.length > 0 ? html`<section id="more"><h2>More metrics</h2><div class="charts">${more.map(figure)}</div></section>` : html``,
    constantSection(constant),
    detailsSection(data),
  ];
  const nav = [
    ['evaluation', 'Evaluation'], ['training', 'Training'], ['samples', 'Samples'], ['more', 'More metrics'], ['constant', 'Constant'], ['details', 'Summary & config'],
  ].filter(([id]) => sections.some((s) => s.text.includes(`<section id="${id}"`)));

  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${data.name} · grpojs report</title>
<style>${unsafeHtml(STYLE)}</style></head>
<body>
<header class="top"><h1>${data.name}</h1>
<p class="meta">${meta(data, lastStep, all.length, constant.length)}</p>
<nav>${nav.map(([id, title]) => html`<a href="#${id}">${title}</a>`)}</nav></header>
${all.length === 0 && latest === null ? html`<p class="empty">No metrics were logged.</p>` : html``}
${sections}
</body></html>
`.text;
}

function meta(data: ReportData, lastStep: number | null, seriesCount: number, constantCount: number): string {
  const parts: string[] = [];
  if (lastStep !== null) parts.push(`step ${lastStep}${typeof data.totalSteps === 'number' ? ` of ${data.totalSteps}` : ''}`);
  const finishedAt = typeof data.summary?.finishedAt === 'string' ? data.summary.finishedAt : undefined;
  const started = data.startedAt === undefined ? Number.NaN : Date.parse(data.startedAt);
  if (Number.isFinite(started)) parts.push(`started ${new Date(started).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`);
  const seconds = finishedAt === undefined ? Number.NaN : (Date.parse(finishedAt) - started) / 1000;
  if (Number.isFinite(seconds) && seconds >= 0) parts.push(`took ${duration(seconds)}`);
  parts.push(`${seriesCount} metrics (${constantCount} constant)`, `${data.completions.length} completions logged`);
  return parts.join(' · ');
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function evaluationSection(latest: ReturnType<typeof latestEval>, charts: ChartSpec[]): Html {
  if (latest === null) {
    return html`<section id="evaluation"><h2>Evaluation</h2><p class="empty">No evaluation was logged in this run, so there is no fine-tuned vs base comparison.</p></section>`;
  }
  const at = latest.step === null ? '' : ` at step ${latest.step}`;
  const of = latest.count > 1 ? ` (latest of ${latest.count})` : '';
  const versus = latest.base === null ? '' : ' · fine-tuned vs base';
  return html`<section id="evaluation"><h2>Evaluation${at}${of}<small>${versus}</small></h2><div class="headline">${evalTable(latest)}${charts.length > 0 ? html`<div class="charts">${charts.map(figure)}</div>` : html``}</div></section>`;
}

function figure(spec: ChartSpec): Html {
  const main = spec.lines[0];
  const last = [...main.points].reverse().find((p) => p.value !== null)?.value ?? null;
  const window = smoothingWindow(main.points.filter((p) => p.value !== null).length);
  const legend = spec.lines.length > 1 || spec.band || window > 0
    ? html`<p class="legend">${spec.lines.map((l, i) => html`<span class="key ${l.style ?? 'main'}">${l.label}${i === 0 && window > 0 ? ` (moving average of ~${window} points)` : ''}</span>`)}${window > 0 ? html`<span class="key raw">raw</span>` : html``}${spec.band ? html`<span class="key band">${spec.band.label}</span>` : html``}</p>`
    : html``;
  return html`<figure class="chart" data-metric="${spec.name}"><figcaption><b>${spec.name}</b><span>last ${formatNumber(last)}</span></figcaption>${lineChartSvg(spec)}${legend}</figure>`;
}

function constantSection(constant: readonly Series[]): Html {
  if (constant.length === 0) return html``;
  const items = constant.map((s) => html`<li><code>${s.name}</code> = ${formatNumber(constantValue(s))}</li>`);
  return html`<section id="constant"><details><summary>${constant.length} constant series, not charted</summary><ul class="constant">${items}</ul></details></section>`;
}

function detailsSection(data: ReportData): Html {
  const summary = Object.entries(data.summary ?? {}).filter(([k]) => !isComparisonMetric(k));
  const rows = summary.map(([k, v]) => html`<tr><th>${k}</th><td>${typeof v === 'number' ? formatNumber(v) : typeof v === 'string' ? v : JSON.stringify(v)}</td></tr>`);
  if (rows.length === 0 && data.config === undefined) return html``;
  return html`<section id="details"><h2>Summary &amp; config</h2>${rows.length > 0 ? html`<details><summary>summary.json</summary><table class="summary">${rows}</table></details>` : html``}${data.config ? html`<details><summary>config.json</summary><pre>\n${JSON.stringify(data.config, null, 2)}</pre></details>` : html``}</section>`;
}

/**
 * One line per evaluation size when evaluations used different numbers of rows (periodic ones on a
 * sample, the final one on every row): points of different sizes are not one curve, so they are not
 * joined, and each line's label says its rows. A single size stays one line named `label`.
 */
function splitByEvalRows(label: string, points: readonly Point[], rowsAt: ReadonlyMap<number, number | null>): ChartSpec['lines'] {
  const sizes = [...new Set(points.filter((p) => p.value !== null).map((p) => rowsAt.get(p.step) ?? null))];
  if (sizes.length < 2) return [{ label, points }];
  return sizes.map((rows) => ({
    label: `${label} · ${rows === null ? 'rows not logged' : `${rows} rows`}`,
    points: points.map((p) => ((rowsAt.get(p.step) ?? null) === rows ? p : { step: p.step, value: null })),
  }));
}
