/**
 * Cross-check against fixtures/reference.json, which make_fixtures.py computed with Python's own
 * `re`, `str` methods and a quadratic Indel ratio: every reward and helper must agree to the last
 * digit (Object.is, so -0 vs 0 would fail too). The whole-Unicode checks are in unicode-tables.test.ts.
 */
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
} from '../src/index.js';

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
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8'),
) as Fixture;

const exact = (actual: unknown, expected: unknown, what: string) =>
  expect(Object.is(actual, expected), `${what}: got ${String(actual)}, Python gives ${String(expected)}`).toBe(true);

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
});
