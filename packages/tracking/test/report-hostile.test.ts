/**
 * Every string that can reach report.html, fed with hostile content in one property test (issue 18):
 * run name, config keys and values, metric names (changing, constant, charted as a band), reward
 * function names (user-chosen; they reach the eval table, chart titles and sample chips), eval
 * labels, prompts, completions, summary keys and values, timestamps, and the run folder's name. For
 * each generated run the parsed page must have exactly the elements and attributes of the same run
 * with the HTML-special characters blanked out (nothing injected, nothing broken out of an
 * attribute), no script or event handler, and each string must come back verbatim as the text of its
 * element or the value of its attribute.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildReportHtml, writeReport, type MetricRow, type ReportData } from '../src/index.js';
import { elements, type El } from './html-dom.js';

const NASTY = [
  '"><script>alert(1)</script>', '</script>', '<script>', "'", '"', '&', '&amp;', '&lt;b&gt;', '</style>', '<style>',
  'javascript:alert(1)', '<img src=x onerror=alert(1)>', '" onmouseover="alert(1)', "' autofocus onfocus='alert(1)", '<!--', '-->',
  '<![CDATA[', ']]>', '</title>', '</textarea>', '</pre>', '</svg>', '<svg onload=alert(1)>', '<math>', '</table>', '</details>',
  '\u2028', '\u202e', '😀', 'é', 'ß', '日本', '\u0000', '\r\n', '\r', '\n', '\t', ' ', '${x}', '`', '\\', '{{x}}', '%3Cscript%3E', '=', '/', '<', '>',
];
/** 1–6 pieces, each a nasty token or a few arbitrary unicode graphemes. */
const hostile = fc
  .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join(''));

const FIELDS = [
  'name', 'configKey', 'configValue', 'configNested', 'metric', 'constantMetric', 'bandMetric', 'reward1', 'reward2',
  'time', 'startedAt', 'prompt', 'completion', 'summaryKey', 'summaryValue', 'summaryNested',
] as const;
type Field = (typeof FIELDS)[number];
type Strings = Record<Field, string>;

// Each field's strings start with its own tag so no two fields collide (two metrics with one name).
const tagged = (s: Strings): Strings => Object.fromEntries(FIELDS.map((f, i) => [f, `f${i}:${s[f]}`])) as Strings;

function run(s: Strings): ReportData {
  const metrics: MetricRow[] = [1, 2, 3].map((step) => ({
    step,
    time: s.time,
    reward: step,
    [s.metric]: step * 2,
    [s.constantMetric]: 7,
    [`rewards/${s.reward1}/mean`]: step / 10,
    [`rewards/${s.reward1}/std`]: 0.1,
    [`rewards/${s.reward2}/mean`]: 0,
    'completions/mean_length': step + 10,
    'completions/min_length': 5,
    [s.bandMetric]: 3 - step,
  }));
  metrics.push({
    step: 3, eval_reward: 1, eval_base_reward: 0.5, eval_accuracy: 0.5, eval_base_accuracy: 0.25,
    [`eval_rewards/${s.reward1}/mean`]: 1, [`eval_base_rewards/${s.reward1}/mean`]: 0.5,
    [`eval_rewards/${s.reward2}/mean`]: 0, [`eval_base_rewards/${s.reward2}/mean`]: 0,
  });
  return {
    name: s.name,
    startedAt: s.startedAt,
    config: { [s.configKey]: s.configValue, nested: { list: [s.configNested, 1] } },
    metrics,
    completions: [1, 3].map((step) => ({ step, prompt: s.prompt, completion: s.completion, rewards: { [s.reward1]: 1, [s.reward2]: null }, advantage: 0.5 })),
    summary: { [s.summaryKey]: s.summaryValue, nested: { [s.summaryNested]: s.summaryNested } },
  };
}

/** What the HTML parser makes of a string in text or an attribute: CR and CRLF are LF, NUL is U+FFFD. */
const parsed = (text: string) => text.replace(/\r\n?/g, '\n').replace(/\0/g, '\uFFFD');
/** The same string with the characters that could make markup blanked out: the expected skeleton. */
const inert = (text: string) => text.replace(/[<>&"']/g, '_');
const skeleton = (els: readonly El[]) => els.map((el) => `${el.tag}[${Object.keys(el.attrs).sort().join(',')}]`);

/** The places each field must come back verbatim: an element's whole text or an attribute's value. */
function expectations(s: Strings): [Field, string][] {
  return [
    ['name', s.name],
    ['name', `${s.name} · grpojs report`],
    ['metric', s.metric],
    ['metric', `${s.metric} over steps`],
    ['reward1', `rewards/${s.reward1}/mean over steps`],
    ['constantMetric', s.constantMetric],
    ['bandMetric', s.bandMetric],
    ['reward1', `rewards/${s.reward1}`],
    ['reward1', `rewards/${s.reward1}/mean`],
    ['reward1', s.reward1],
    ['reward2', `rewards/${s.reward2}`],
    ['reward2', s.reward2],
    ['prompt', s.prompt],
    ['completion', s.completion],
    ['summaryKey', s.summaryKey],
    ['summaryValue', s.summaryValue],
    ['summaryNested', JSON.stringify({ [s.summaryNested]: s.summaryNested })],
    ['configKey', JSON.stringify(run(s).config, null, 2)],
  ];
}

function check(html: string, s: Strings): void {
  const els = elements(html);
  const twin = elements(buildReportHtml(run(Object.fromEntries(FIELDS.map((f) => [f, inert(s[f])])) as Strings)));
  expect(skeleton(els)).toEqual(skeleton(twin));
  expect(els.filter((el) => ['script', 'iframe', 'img', 'object', 'embed', 'link', 'base', 'form', 'input'].includes(el.tag))).toEqual([]);
  expect(els.filter((el) => el.tag === 'style' || el.tag === 'meta').length).toBe(4);
  for (const el of els) {
    for (const [name, value] of Object.entries(el.attrs)) {
      expect(name.startsWith('on'), `event handler attribute ${name} on <${el.tag}>`).toBe(false);
      if (name === 'href') expect(value).toMatch(/^#[a-z]+$/);
    }
  }
  const found = new Set(els.flatMap((el) => [el.text, ...Object.values(el.attrs)]));
  for (const [field, text] of expectations(s)) expect(found.has(parsed(text)), `${field} did not come back verbatim: ${JSON.stringify(text)}`).toBe(true);
}

describe('report.html with hostile strings in every field', () => {
  it('injects no element or attribute and shows every string verbatim (property)', () => {
    const strings = fc.record(Object.fromEntries(FIELDS.map((f) => [f, hostile])) as Record<Field, fc.Arbitrary<string>>).map(tagged);
    fc.assert(fc.property(strings, (s) => check(buildReportHtml(run(s)), s)), { numRuns: 150 });
  });

  it('holds for the classic payloads in every field at once', () => {
    for (const payload of ['"><script>alert(1)</script>', "'><svg onload=alert(1)>", '</style><script>alert(1)</script>', 'javascript:alert(1)', '&lt;&amp;\r\n\0']) {
      const s = tagged(Object.fromEntries(FIELDS.map((f) => [f, payload])) as Strings);
      check(buildReportHtml(run(s)), s);
    }
  });

  it('holds through writeReport for a run folder named with markup and files of the wrong types', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'report-hostile-')), `"><script>alert(1)<&'`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'metrics.jsonl'), `${JSON.stringify({ step: 1, '<b>loss</b>': 1, note: '<script>' })}\n${JSON.stringify({ step: '<script>', x: 1 })}\n`);
    writeFileSync(join(dir, 'completions.jsonl'), `${JSON.stringify({ step: 1, prompt: ['<script>'], completion: { '"': "'" }, rewards: { '<r>': '<script>' }, advantage: '<x>' })}\n`);
    const html = readFileSync(await writeReport(dir), 'utf8');
    const els = elements(html);
    expect(els.filter((el) => el.tag === 'script')).toEqual([]);
    expect(els.find((el) => el.tag === 'h1')?.text).toBe(`"><script>alert(1)<&'`);
    expect(els.some((el) => el.text === '["<script>"]')).toBe(true);
    expect(els.some((el) => el.text === '{"\\"":"\'"}')).toBe(true);
  });
});
