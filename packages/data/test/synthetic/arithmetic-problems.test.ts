/**
 * The synthetic GSM8K-style generator: seeded, within its difficulty options, and right by an
 * independent reading of each question (the test's own phrase table and arithmetic, not the
 * generator's steps), with gold answers that GSM8K parsing and the reference rewards accept.
 */
import { correctnessReward, defaultRewards, formatReward, numericReward, strictFormatReward } from '@grpojs/rewards';
import { describe, expect, it } from 'vitest';
import { DataError, extractHashAnswer, arithmeticCompletion, generateArithmeticProblems, type SolutionStyle } from '../../src/index.js';

/** Solves a question from its text alone: the start count, then one operation per sentence. */
function solve(question: string): number {
  const sentences = question.split(/(?<=[.?])\s+/);
  let count = Number(/ has (\d+) /.exec(sentences[0])?.[1]);
  const rules: [RegExp, (c: number, n: number) => number][] = [
    [/(?:gets|buys|finds) (\d+) more\./, (c, n) => c + n],
    [/(?:gives away|loses|sells) (\d+)\./, (c, n) => c - n],
    [/(?:(\d+) times as many|multiplies them by (\d+))\./, (c, n) => c * n],
    [/(?:into (\d+) equal piles|one of every (\d+))/, (c, n) => c / n],
  ];
  for (const sentence of sentences.slice(1, -1)) {
    const rule = rules.find(([re]) => re.test(sentence));
    if (!rule) throw new Error(`unreadable sentence: ${sentence}`);
    const match = rule[0].exec(sentence) as RegExpExecArray;
    count = rule[1](count, Number(match[1] ?? match[2]));
  }
  return count;
}

describe('generateArithmeticProblems', () => {
  it('is deterministic in its seed', () => {
    const a = generateArithmeticProblems({ count: 20, seed: 3, maxSteps: 3 });
    expect(generateArithmeticProblems({ count: 20, seed: 3, maxSteps: 3 })).toEqual(a);
    expect(generateArithmeticProblems({ count: 20, seed: 4, maxSteps: 3 })).not.toEqual(a);
    expect(generateArithmeticProblems({ count: 5, seed: 3, maxSteps: 3 })).toEqual(a.slice(0, 5));
  });

  it('every answer equals the question solved independently, and is a non-negative integer', () => {
    const problems = generateArithmeticProblems({ count: 300, seed: 1, minSteps: 1, maxSteps: 3, numberRange: [1, 50] });
    for (const p of problems) {
      const solved = solve(p.question);
      expect(Number.isInteger(solved) && solved >= 0, p.question).toBe(true);
      expect(p.finalAnswer, p.question).toBe(String(solved));
    }
  });

  it("GSM8K's `#### N` parsing in data extracts the final answer; the worked lines are true equations", () => {
    for (const p of generateArithmeticProblems({ count: 100, seed: 2, maxSteps: 3 })) {
      expect(extractHashAnswer(p.answer)).toBe(p.finalAnswer);
      for (const line of p.answer.split('\n').slice(0, -1)) {
        const m = /^(\d+)([-+*/])(\d+)=<<\1\2\3=(\d+)>>\4$/.exec(line);
        expect(m, line).not.toBeNull();
        const [a, op, b, c] = [Number(m![1]), m![2], Number(m![3]), Number(m![4])];
        expect({ '+': a + b, '-': a - b, '*': a * b, '/': a / b }[op]).toBe(c);
      }
    }
  });

  it('the SFT completion gets the full correctness, format, strict_format and numeric rewards', () => {
    const problems = generateArithmeticProblems({ count: 30, seed: 5, maxSteps: 3 });
    const completions = problems.map((p) => p.completion);
    const ctx = { prompts: problems.map((p) => p.question), completionIds: completions.map(() => []), answer: problems.map((p) => extractHashAnswer(p.answer)) };
    expect(correctnessReward(completions, ctx)).toEqual(problems.map(() => 2));
    for (const reward of [formatReward, strictFormatReward, numericReward]) expect(reward(completions, ctx)).toEqual(problems.map(() => 0.5));
    expect(problems[0].completion).toMatch(/^<reasoning>\n(\d+ [-+*/] \d+ = \d+\n)+<\/reasoning>\n<answer>\n\d+\n<\/answer>\n$/);
  });

  it('keeps to the step count, number ranges and operations asked for', () => {
    const problems = generateArithmeticProblems({ count: 200, seed: 9, minSteps: 2, maxSteps: 3, numberRange: [10, 30], factorRange: [2, 3], operations: ['+', '*'] });
    const lengths = new Set(problems.map((p) => p.steps.length));
    expect([...lengths].sort()).toEqual([2, 3]);
    for (const p of problems) {
      expect(p.steps[0].left).toBeGreaterThanOrEqual(10);
      expect(p.steps[0].left).toBeLessThanOrEqual(30);
      for (const s of p.steps) {
        expect(['+', '*']).toContain(s.operation);
        if (s.operation === '+') expect(s.right >= 10 && s.right <= 30).toBe(true);
        else expect(s.right >= 2 && s.right <= 3).toBe(true);
      }
    }
    const one = generateArithmeticProblems({ count: 50, seed: 9, operations: ['-'] });
    expect(one.every((p) => p.steps.length === 1 && p.steps[0].operation === '-' && p.steps[0].result >= 0)).toBe(true);
  });

  it('divisions are always whole', () => {
    for (const p of generateArithmeticProblems({ count: 200, seed: 4, maxSteps: 3, operations: ['/', '+'] })) {
      for (const s of p.steps.filter((s) => s.operation === '/')) expect(s.left % s.right).toBe(0);
    }
  });

  it('refuses options out of range, naming them', () => {
    expect(() => generateArithmeticProblems({ count: 1, maxSteps: 4 })).toThrow(/maxSteps must be 1, 2 or 3/);
    expect(() => generateArithmeticProblems({ count: 1, minSteps: 3, maxSteps: 2 })).toThrow(/maxSteps \(2\) must be ≥ minSteps \(3\)/);
    expect(() => generateArithmeticProblems({ count: 1, numberRange: [5, 2] })).toThrow(/numberRange/);
    expect(() => generateArithmeticProblems({ count: 1, factorRange: [1, 3] })).toThrow(/factorRange/);
    expect(() => generateArithmeticProblems({ count: 1, operations: ['%' as '+'] })).toThrow(/operations/);
    expect(() => generateArithmeticProblems({ count: -1 })).toThrow(DataError);
    expect(() => generateArithmeticProblems({ count: 1, minSteps: 3, maxSteps: 3, operations: ['-'], numberRange: [1, 1] })).toThrow(/widen them/);
  });
});

describe('arithmeticCompletion', () => {
  const problems = generateArithmeticProblems({ count: 200, seed: 9, minSteps: 1, maxSteps: 3, numberRange: [1, 30] });
  const reasoning = (completion: string) => /^<reasoning>\n(.*)\n<\/reasoning>\n/s.exec(completion)?.[1] ?? '';

  const sixPlusSixMinusNine = { steps: [{ left: 6, operation: '+' as const, right: 6, result: 12 }, { left: 12, operation: '-' as const, right: 9, result: 3 }], finalAnswer: '3' };

  it("'steps' writes one equation per line, as the problem's own completion", () => {
    expect(arithmeticCompletion(sixPlusSixMinusNine, 'steps')).toBe('<reasoning>\n6 + 6 = 12\n12 - 9 = 3\n</reasoning>\n<answer>\n3\n</answer>\n');
    for (const p of problems) expect(arithmeticCompletion(p, 'steps')).toBe(p.completion);
  });

  it("'expression' is one line whose left side, evaluated with its parentheses, is the answer", () => {
    for (const p of problems) {
      const line = reasoning(arithmeticCompletion(p, 'expression'));
      expect(line).not.toContain('\n');
      const [left, right] = line.split(' = ');
      expect(right).toBe(p.finalAnswer);
      // An independent evaluator: innermost parentheses first, one binary operation each.
      let text = left;
      const apply = (a: number, op: string, b: number) => (op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b);
      const binary = /^(\d+) ([-+*/]) (\d+)$/;
      for (let inner = /\(([^()]*)\)/.exec(text); inner; inner = /\(([^()]*)\)/.exec(text)) {
        const m = binary.exec(inner[1]) as RegExpExecArray;
        text = text.replace(inner[0], String(apply(Number(m[1]), m[2], Number(m[3]))));
      }
      const m = binary.exec(text) as RegExpExecArray;
      expect(apply(Number(m[1]), m[2], Number(m[3]))).toBe(Number(p.finalAnswer));
      expect((left.match(/\(/g) ?? []).length).toBe(p.steps.length - 1);
    }
    expect(reasoning(arithmeticCompletion(sixPlusSixMinusNine, 'expression'))).toBe('(6 + 6) - 9 = 3');
  });

  it("'direct' shows no working", () => {
    expect(reasoning(arithmeticCompletion(problems[0], 'direct'))).toBe(`The answer is ${problems[0].finalAnswer}.`);
  });

  it('every style gets the full correctness, format, strict_format and numeric rewards, and the same conciseness and cot_clarity as the others', () => {
    const byStyle = (['steps', 'expression', 'direct'] as const).map((style) => {
      const completions = problems.map((p) => arithmeticCompletion(p, style));
      const ctx = { prompts: problems.map((p) => p.question), completionIds: completions.map(() => []), answer: problems.map((p) => p.finalAnswer) };
      expect(correctnessReward(completions, ctx)).toEqual(problems.map(() => 2));
      for (const reward of [formatReward, strictFormatReward, numericReward]) expect(reward(completions, ctx)).toEqual(problems.map(() => 0.5));
      return Object.fromEntries(defaultRewards.map((f) => [f.rewardName, f(completions, ctx)]));
    });
    expect(Object.keys(byStyle[0])).toEqual(['correctness', 'format', 'strict_format', 'numeric', 'conciseness', 'repetition', 'cot_clarity']);
    // A right answer scores the same in every style (repetition, weighted 0 in the example, may differ),
    // so for GRPO only whether the answer is right separates the styles.
    for (const name of ['correctness', 'format', 'strict_format', 'numeric', 'conciseness', 'cot_clarity']) {
      expect(byStyle[1][name], name).toEqual(byStyle[0][name]);
      expect(byStyle[2][name], name).toEqual(byStyle[0][name]);
    }
  });

  it('refuses an unknown style, a problem without steps, and a final answer that is not the last result, naming them', () => {
    expect(() => arithmeticCompletion(problems[0], 'terse' as SolutionStyle)).toThrow(/style must be .*"terse"/);
    expect(() => arithmeticCompletion({ steps: [], finalAnswer: '3' }, 'direct')).toThrow(DataError);
    expect(() => arithmeticCompletion({ steps: [], finalAnswer: '3' }, 'direct')).toThrow(/problem.steps/);
    expect(() => arithmeticCompletion({ ...sixPlusSixMinusNine, finalAnswer: '12' }, 'steps')).toThrow(/finalAnswer "12" is not the last step's result 3/);
  });
});
