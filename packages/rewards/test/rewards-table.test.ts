/**
 * Hand-worked cases for every row of the reward specification (the table in docs/rewards.md): each
 * expected value was derived by hand from the spec's definition (noted beside the case), not by
 * running the code.
 */
import { describe, expect, it } from 'vitest';
import {
  concisenessReward,
  correctnessReward,
  cotClarityReward,
  formatReward,
  numericReward,
  repetitionPenalty,
  strictFormatReward,
} from '../src/index.js';
import { ctxFor, strict, words } from './helpers.js';

const LONG = 'lorem ipsum dolor '.repeat(6000); // ~108 KB

/** Scores one completion alone with `reward`; `gold` feeds ctx.answer. */
function score(reward: typeof correctnessReward, completion: string, gold = '72'): number {
  return reward([completion], ctxFor(1, [gold]))[0];
}

type Row = [title: string, completion: string, gold: string, expected: number];

describe('correctness', () => {
  it.each<Row>([
    ['exact match', '<answer>72</answer>', '72', 2.0],
    ['exact after stripping both sides', '<answer>\n 72 \n</answer>', ' 72\n', 2.0],
    ['case-only difference: ratio 100 → 1 + 1', '<answer>Abc</answer>', 'abc', 2.0],
    ['fuzzy exactly at 80 (abcde/abcdf: LCS 4 of 10)', '<answer>abcde</answer>', 'abcdf', 1.8],
    ['fuzzy 90.9 (12346/123456: indel 1 of 11)', '<answer>12346</answer>', '123456', 1.9090909090909092],
    ['fuzzy under 80 (abcd/abce: 75)', '<answer>abcd</answer>', 'abce', 0.0],
    ['72.0 vs 72 is 66.7', '<answer>72.0</answer>', '72', 0.0],
    ['missing tags: the whole completion is the answer', '72', '72', 2.0],
    ['missing tags with prose', 'The answer is 72', '72', 0.0],
    ['repeated tags: the last <answer> wins', '<answer>7</answer><answer>72</answer>', '72', 2.0],
    ['nested tags: the innermost (last) <answer>', '<answer>7<answer>72</answer></answer>', '72', 2.0],
    ['unclosed last <answer> runs to the end', '<answer>1</answer> <answer>72', '72', 2.0],
    ['CRLF around the answer is stripped', '<answer>\r\n72\r\n</answer>', '72', 2.0],
    ['Python strip removes U+0085 and U+001F', '<answer>\u008572\u001f</answer>', '72', 2.0],
    ['Python strip keeps U+FEFF: 2 of 5 → 80', '<answer>\ufeff72</answer>', '72', 1.8],
    ['empty completion, gold 72', '', '72', 0.0],
    ['empty completion, empty gold', '', '', 2.0],
    ['final sigma: lower(ΟΔΟΣ) = οδος', '<answer>ΟΔΟΣ</answer>', 'οδος', 2.0],
    ['final sigma: οδος vs οδοσ is 75', '<answer>ΟΔΟΣ</answer>', 'οδοσ', 0.0],
    ['lower(İ) = i + U+0307', '<answer>İ</answer>', 'i\u0307', 2.0],
    ['very long prose then the answer', `${LONG}<answer>72</answer>`, '72', 2.0],
  ])('%s', (_, completion, gold, expected) => {
    expect(score(correctnessReward, completion, gold)).toBe(expected);
  });
});

describe('format', () => {
  it.each<Row>([
    ['strict layout', strict('r', '72'), '', 0.5],
    ['no newlines', '<reasoning>a</reasoning><answer>b</answer>', '', 0.5],
    ['CRLF, tab and spaces between', '<reasoning>a</reasoning>\r\n\t <answer>b</answer>', '', 0.5],
    ['Python \\s includes U+001C and U+0085', '<reasoning>a</reasoning>\x1c\x85<answer>b</answer>', '', 0.5],
    ['U+FEFF is not \\s', '<reasoning>a</reasoning>\ufeff<answer>b</answer>', '', 0.0],
    ['text between the blocks', '<reasoning>a</reasoning> x <answer>b</answer>', '', 0.0],
    ['search, not full match', 'hi <reasoning>a</reasoning><answer>b</answer> bye', '', 0.5],
    ['nested reasoning: lazy .*? extends to the outer close', '<reasoning>a<reasoning>b</reasoning></reasoning><answer>1</answer>', '', 0.5],
    ['empty blocks', '<reasoning></reasoning><answer></answer>', '', 0.5],
    ['answer before reasoning', '<answer>b</answer><reasoning>a</reasoning>', '', 0.0],
    ['missing </answer>', '<reasoning>a</reasoning><answer>b', '', 0.0],
    ['missing tags', 'The answer is 72', '', 0.0],
    ['empty completion', '', '', 0.0],
    ['very long reasoning', `<reasoning>${LONG}</reasoning>\n<answer>72</answer>`, '', 0.5],
  ])('%s', (_, completion, gold, expected) => {
    expect(score(formatReward, completion, gold)).toBe(expected);
  });
});

describe('strict_format', () => {
  it.each<Row>([
    ['exact layout', strict('r', '72'), '', 0.5],
    ['multi-line reasoning', strict('First.\nThen.\n\nDone.', '72'), '', 0.5],
    ['empty reasoning between two newlines', strict('', '72'), '', 0.5],
    ['one newline only inside reasoning', '<reasoning>\n</reasoning>\n<answer>\n72\n</answer>\n', '', 0.0],
    ['no final newline', strict('r', '72').slice(0, -1), '', 0.0],
    ["one extra final newline (Python's $)", `${strict('r', '72')}\n`, '', 0.5],
    ['two extra final newlines', `${strict('r', '72')}\n\n`, '', 0.0],
    ['trailing space', `${strict('r', '72')} `, '', 0.0],
    ['leading space', ` ${strict('r', '72')}`, '', 0.0],
    ['CRLF newlines', strict('r', '72', '\r\n'), '', 0.0],
    ['missing tags', '72\n', '', 0.0],
    ['empty completion', '', '', 0.0],
    ['non-ASCII reasoning', strict('Σ = 日本 ²', '72'), '', 0.5],
    ['very long reasoning', strict(LONG, '72'), '', 0.5],
  ])('%s', (_, completion, gold, expected) => {
    expect(score(strictFormatReward, completion, gold)).toBe(expected);
  });
});

describe('numeric', () => {
  it.each<Row>([
    ['digits', '<answer>72</answer>', '', 0.5],
    ['digits with spaces and CRLF', '<answer>\r\n 72 \r\n</answer>', '', 0.5],
    ['missing tags: whole completion', '72', '', 0.5],
    ['missing tags with prose', 'The answer is 72', '', 0.0],
    ['sign', '<answer>-72</answer>', '', 0.0],
    ['thousands comma', '<answer>7,200</answer>', '', 0.0],
    ['decimal point', '<answer>72.0</answer>', '', 0.0],
    ['empty answer', '<answer></answer>', '', 0.0],
    ['empty completion', '', '', 0.0],
    ['superscripts are digits', '<answer>²³</answer>', '', 0.5],
    ['Arabic-Indic digits', '<answer>٣٤</answer>', '', 0.5],
    ['fullwidth digits', '<answer>１２</answer>', '', 0.5],
    ['mathematical bold digits (astral)', '<answer>𝟕𝟐</answer>', '', 0.5],
    ['vulgar fraction is numeric, not digit', '<answer>½</answer>', '', 0.0],
    ['roman numeral is not a digit', '<answer>Ⅻ</answer>', '', 0.0],
    ['U+FEFF stays and is not a digit', '<answer>\ufeff72</answer>', '', 0.0],
    ['repeated tags: last answer', '<answer>x</answer><answer>72</answer>', '', 0.5],
    ['very long digit string', `<answer>${'9'.repeat(100_000)}</answer>`, '', 0.5],
  ])('%s', (_, completion, gold, expected) => {
    expect(score(numericReward, completion, gold)).toBe(expected);
  });
});

describe('conciseness', () => {
  it.each<Row>([
    ['no reasoning block', words(200), '', 0.0],
    ['unclosed reasoning', `<reasoning>${words(200)}`, '', 0.0],
    ['50 words', `<reasoning>${words(50)}</reasoning>`, '', 0.0],
    ['51 words: −0.01', `<reasoning>${words(51)}</reasoning>`, '', -0.01],
    ['57 words: −0.07', `<reasoning>\n${words(57)}\n</reasoning>`, '', -0.07],
    ['60 words split by U+3000', `<reasoning>${words(60, '\u3000')}</reasoning>`, '', -0.1],
    ['60 words split by U+0085 (Python whitespace)', `<reasoning>${words(60, '\u0085')}</reasoning>`, '', -0.1],
    ['60 words split by U+FEFF are one word', `<reasoning>${words(60, '\ufeff')}</reasoning>`, '', 0.0],
    ['60 words split by CRLF', `<reasoning>${words(60, '\r\n')}</reasoning>`, '', -0.1],
    ['100 words: capped at −0.5', `<reasoning>${words(100)}</reasoning>`, '', -0.5],
    ['only the first block counts', `<reasoning>a</reasoning><reasoning>${words(100)}</reasoning>`, '', 0.0],
    ['empty completion', '', '', 0.0],
    ['very long reasoning', `<reasoning>${LONG}</reasoning>`, '', -0.5],
  ])('%s', (_, completion, gold, expected) => {
    expect(score(concisenessReward, completion, gold)).toBe(expected);
  });
});

describe('repetition', () => {
  it.each<Row>([
    ['empty completion', '', '', 0.0],
    ['no \\w at all', '!!! ??? ...', '', 0.0],
    ['all distinct', 'a b c d e', '', 0.0],
    ['r = 0.1', 'a b c d e f g h i i', '', 0.0],
    ['r = 0.2 exactly', 'a a b c d', '', -0.25],
    ['r = 0.4', 'a a a b c', '', -0.25],
    ['r = 0.5 exactly', 'a a b b', '', -0.5],
    ['lower-cased first', 'The the THE', '', -0.5],
    ['underscore is \\w', 'word_word word_word', '', -0.5],
    ['hyphen splits, underscore joins', 'a-b a_b', '', 0.0],
    ['tags count as words', '<answer>73</answer>', '', -0.25],
    ['ß and ss stay different', 'Straße STRASSE', '', 0.0],
    ['Latin-1 lower-casing', 'ÀB àb', '', -0.5],
    ['İ lowers to i + combining dot (not \\w)', 'İ i\u0307', '', -0.5],
    ['CJK is \\w', '日本語 日本語', '', -0.5],
    ['no-break space separates', 'x\u00a0x', '', -0.5],
    ['very long', 'word '.repeat(20_000), '', -0.5],
  ])('%s', (_, completion, gold, expected) => {
    expect(score(repetitionPenalty, completion, gold)).toBe(expected);
  });
});

describe('cot_clarity', () => {
  it.each<Row>([
    ['no reasoning block', 'First, then, thus.', '', 0.0],
    ['three keywords', '<reasoning>First, then, thus.</reasoning>', '', 0.30000000000000004],
    ['upper case counts', '<reasoning>THEREFORE</reasoning>', '', 0.1],
    ['substrings: THENCE = then + hence, nextday = next', '<reasoning>THENCE nextday</reasoning>', '', 0.30000000000000004],
    ['non-overlapping repeats', '<reasoning>thenthenthen</reasoning>', '', 0.30000000000000004],
    ['all eight: capped at 0.5', '<reasoning>first second third then next therefore thus hence</reasoning>', '', 0.5],
    ['keywords outside the block do not count', 'Therefore <reasoning>x</reasoning> then', '', 0.0],
    ['nested: first block to first close', '<reasoning>first<reasoning>then</reasoning>next</reasoning>', '', 0.2],
    ['CRLF inside', '<reasoning>\r\nFirst\r\nNext\r\n</reasoning>', '', 0.2],
    ['İ breaks "first" (lowers to i + U+0307)', '<reasoning>FİRST</reasoning>', '', 0.0],
    ['empty completion', '', '', 0.0],
    ['very long reasoning', `<reasoning>${LONG}then</reasoning>`, '', 0.1],
  ])('%s', (_, completion, gold, expected) => {
    expect(score(cotClarityReward, completion, gold)).toBe(expected);
  });
});
