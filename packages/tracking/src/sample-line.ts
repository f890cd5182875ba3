/**
 * The console's line for one sampled completion during training:
 *   `  sample @20: <reasoning> 2+2</reasoning> <answer>4</answer> | correctness=2 format=0.5 +5 at 0 | adv 0.5`
 * kept within a terminal line (120 columns, or the terminal's width when narrower): whitespace runs
 * become one space, the completion is cut with an ellipsis to the room the other parts leave, and
 * the rewards list only the ones that scored, counting the rest (a completion usually gets 0 from
 * most of the seven), so the line says what the sample earned without wrapping.
 */
import { formatNumber } from './report/escape.js';
import type { CompletionRecord } from './tracker.js';

/** The widest a sample line gets (columns). */
export const SAMPLE_LINE_WIDTH = 120;

/** The rewards part never takes more than this (less on a narrow terminal), so the completion keeps room. */
const MAX_REWARDS_WIDTH = 64;
/** The completion is cut to this at the least, even if the line then runs past a very narrow width. */
const MIN_COMPLETION_WIDTH = 24;

/** `text` on one line, at most `max` characters (code points), ending with `…` when cut. */
export function truncateOneLine(text: string, max: number): string {
  const flat = Array.from(text.replace(/\s+/g, ' ').trim());
  return flat.length > max ? `${flat.slice(0, Math.max(0, max - 1)).join('')}…` : flat.join('');
}

/**
 * `correctness=2 format=0.5 +4 at 0 +1 n/a`: the rewards that scored, in order, then how many gave 0
 * and how many did not apply (null or NaN); entries that do not fit in `max` become `+N more`.
 */
export function formatSampleRewards(rewards: Record<string, number | null>, max: number = MAX_REWARDS_WIDTH): string {
  const entries = Object.entries(rewards);
  const scored = entries.filter(([, v]) => v !== null && !Number.isNaN(v) && v !== 0).map(([k, v]) => `${k}=${formatNumber(v)}`);
  const zero = entries.filter(([, v]) => v === 0).length;
  const notApplicable = entries.length - scored.length - zero;
  const counts = [zero > 0 ? `${zero} at 0` : '', notApplicable > 0 ? `${notApplicable} n/a` : ''].filter(Boolean);
  if (scored.length === 0) return counts.length === 0 ? 'no rewards' : counts.join(', ');
  const tail = counts.map((count) => `+${count}`);
  const shown: string[] = [];
  for (const [i, entry] of scored.entries()) {
    const left = scored.length - i - 1;
    const rest = left > 0 ? [`+${left} more`, ...tail] : tail;
    if (shown.length > 0 && [...shown, entry, ...rest].join(' ').length > max) {
      return [...shown, `+${scored.length - i} more`, ...tail].join(' ');
    }
    shown.push(entry);
  }
  return [...shown, ...tail].join(' ');
}

/** The sample line for `row` at `step`, at most `width` columns (see the file comment). */
export function formatSampleLine(row: CompletionRecord, step: number, width: number = SAMPLE_LINE_WIDTH): string {
  const head = `  sample @${step}: `;
  const adv = ` | adv ${formatNumber(row.advantage)}`;
  const rewardsRoom = Math.min(MAX_REWARDS_WIDTH, width - head.length - MIN_COMPLETION_WIDTH - adv.length - ' | '.length);
  const tail = ` | ${formatSampleRewards(row.rewards, rewardsRoom)}${adv}`;
  const room = Math.max(MIN_COMPLETION_WIDTH, width - head.length - tail.length);
  return `${head}${truncateOneLine(row.completion, room)}${tail}`;
}
