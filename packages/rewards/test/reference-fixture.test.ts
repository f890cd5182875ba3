/**
 * Cross-check against fixtures/reference.json, which make_fixtures.py computed with Python's own
 * `re`, `str` methods and a quadratic Indel ratio: every reward, helper and the whole-Unicode
 * tables must agree to the last digit (Object.is, so -0 vs 0 would fail too).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  defaultRewards,
  extractEvalPrediction,
  extractHashAnswer,
  extractReasoning,
  extractXmlAnswer,
  fuzzyRatio,
  isExactMatch,
  pyLower,
  pyStrip,
} from '../src/index.js';
import { pyFindWords, pyIsDigit } from '../src/python-str.js';

interface Case {
  completion: string;
  gold: string;
  answer: string;
  reasoning: string | null;
  lower?: string;
  eval_prediction: string;
  exact_match: boolean;
  rewards: Record<string, number>;
}
interface Fixture {
  cases: Case[];
  hash_answers: { text: string; gold: string }[];
  fuzzy: { a: string; b: string; ratio: number }[];
  unicode_digests: { lower: string; sigma: string; classes: string };
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8'),
) as Fixture;

const exact = (actual: unknown, expected: unknown, what: string) =>
  expect(Object.is(actual, expected), `${what}: got ${String(actual)}, Python gives ${String(expected)}`).toBe(true);

/** sha256 of the parts joined with NUL, as the Python side hashes them. */
function digest(parts: Iterable<string>): string {
  const hash = createHash('sha256');
  let first = true;
  for (const part of parts) {
    hash.update(first ? part : `\0${part}`);
    first = false;
  }
  return hash.digest('hex');
}

function* codePoints(): Generator<string> {
  for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) yield String.fromCodePoint(cp);
}

describe('reference fixture (Python re/str + DP Indel ratio)', () => {
  it('has a few hundred cases', () => {
    expect(fixture.cases.length).toBeGreaterThan(300);
  });

  it('every reward equals the Python value for every case, scored as one batch', () => {
    const completions = fixture.cases.map((c) => c.completion);
    const ctx = { prompts: completions.map(() => 'q'), completionIds: completions.map(() => []), answer: fixture.cases.map((c) => c.gold) };
    for (const reward of defaultRewards) {
      const values = reward(completions, ctx);
      values.forEach((v, i) => exact(v, fixture.cases[i].rewards[reward.rewardName], `${reward.rewardName} case ${i} ${JSON.stringify(completions[i].slice(0, 80))}`));
    }
  });

  it('extractXmlAnswer, extractReasoning, pyLower, eval prediction and exact match agree', () => {
    fixture.cases.forEach((c, i) => {
      exact(extractXmlAnswer(c.completion), c.answer, `answer case ${i}`);
      exact(extractReasoning(c.completion), c.reasoning, `reasoning case ${i}`);
      exact(pyLower(c.completion), c.lower ?? c.completion.toLowerCase(), `lower case ${i}`);
      exact(extractEvalPrediction(c.completion), c.eval_prediction, `eval prediction case ${i}`);
      exact(isExactMatch(extractEvalPrediction(c.completion), c.gold), c.exact_match, `exact match case ${i}`);
    });
  });

  it('extractHashAnswer agrees', () => {
    for (const { text, gold } of fixture.hash_answers) exact(extractHashAnswer(text), gold, JSON.stringify(text));
  });

  it('fuzzyRatio equals the quadratic Indel ratio on every pair, both argument orders', () => {
    for (const { a, b, ratio } of fixture.fuzzy) {
      exact(fuzzyRatio(a, b), ratio, `ratio(${JSON.stringify(a)}, ${JSON.stringify(b)})`);
      exact(fuzzyRatio(b, a), ratio, `ratio(${JSON.stringify(b)}, ${JSON.stringify(a)})`);
    }
  });

  it('pyLower matches str.lower() on every code point', () => {
    expect(digest((function* () { for (const ch of codePoints()) yield pyLower(ch); })())).toBe(fixture.unicode_digests.lower);
  });

  it('pyLower applies the final-sigma rule like CPython for every neighbouring code point', () => {
    const parts = function* () {
      for (const ch of codePoints()) yield pyLower(`A${ch}\u03a3`) + pyLower(`1${ch}\u03a3`) + pyLower(`A\u03a3${ch}`);
    };
    expect(digest(parts())).toBe(fixture.unicode_digests.sigma);
  });

  it('\\s, \\w and isdigit classify every code point like Python', () => {
    const parts = function* () {
      for (const ch of codePoints()) {
        const space = pyStrip(ch) === '' ? 1 : 0;
        const word = pyFindWords(`-${ch}-`)[0] === ch ? 1 : 0;
        yield String(space | (word << 1) | ((pyIsDigit(ch) ? 1 : 0) << 2));
      }
    };
    expect(digest(parts())).toBe(fixture.unicode_digests.classes);
  });
});
