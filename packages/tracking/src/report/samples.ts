/**
 * Sample completions, newest step first (the latest behaviour is what one opens a report for).
 * Consecutive completions of one prompt at one step (a GRPO group) share one collapsed prompt.
 */
import type { CompletionRecord } from '../tracker.js';
import { formatNumber, html, type Html } from './escape.js';

/** The newest `max` completions, newest step first, grouped by step and prompt. */
export function samplesSection(all: readonly CompletionRecord[], max: number): Html {
  if (all.length === 0) return html``;
  // Sort is stable: within a step the logged order is kept.
  const shown = [...all].sort((a, b) => b.step - a.step).slice(0, max);
  const groups: { step: number; prompt: string; rows: CompletionRecord[] }[] = [];
  for (const row of shown) {
    const last = groups.at(-1);
    if (last !== undefined && last.step === row.step && last.prompt === row.prompt) last.rows.push(row);
    else groups.push({ step: row.step, prompt: row.prompt, rows: [row] });
  }
  const note = all.length > shown.length ? ` · the newest ${shown.length} of ${all.length}` : ` · ${all.length}`;
  return html`<section id="samples"><h2>Sample completions <small>newest first${note}</small></h2>${groups.map(group)}</section>`;
}

function group(g: { step: number; prompt: string; rows: CompletionRecord[] }): Html {
  return html`<article class="group"><header><span class="step">step ${g.step}</span><details><summary>prompt <span class="preview">${preview(g.prompt)}</span></summary><pre>\n${g.prompt}</pre></details></header><div class="samples">${g.rows.map(sample)}</div></article>`;
}

/**
 * The prompt's longest line, as a one-line preview: chat-templated prompts start with the same
 * system text every time, and the longest line is usually the question itself.
 */
function preview(prompt: string): string {
  return prompt.split('\n').reduce((a, b) => (b.trim().length > a.length ? b.trim() : a), '').slice(0, 300);
}

function sample(row: CompletionRecord): Html {
  const rewards = Object.entries(row.rewards ?? {});
  const chips = rewards.map(([name, value]) => html`<span class="chip${value === 0 || value === null ? ' zero' : ''}"><span>${name}</span> ${formatNumber(value)}</span>`);
  const advantage = row.advantage;
  const sign = typeof advantage === 'number' && advantage > 0 ? 'up' : typeof advantage === 'number' && advantage < 0 ? 'down' : 'same';
  return html`<div class="sample"><pre class="completion">\n${row.completion}</pre><div class="scores"><span class="chip adv ${sign}"><span>advantage</span> ${formatNumber(advantage)}</span>${chips}</div></div>`;
}
