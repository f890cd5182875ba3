/**
 * Seeded GSM8K-style word problems of controllable difficulty: a person starts with some items and
 * one to three arithmetic steps change how many they have. Each problem comes as a GSM8K row
 * (`question`, and `answer` = a worked solution ending in `#### N`, so loadGsm8k-style gold parsing
 * applies) plus the SFT completion `<reasoning>\n…\n</reasoning>\n<answer>\nN\n</answer>\n`, the
 * exact layout the seven reference rewards check (strict_format included). Results are always
 * non-negative integers, as GSM8K's gold answers are (the numeric reward wants bare digits).
 */
import { DataError } from '../errors.js';
import { Mulberry32 } from '../sampler.js';

/** The arithmetic a step can apply to the running count. */
export type ArithmeticOperation = '+' | '-' | '*' | '/';

/** Options of {@link generateArithmeticProblems}. */
export interface ArithmeticProblemOptions {
  /** How many problems. */
  count: number;
  /** Seed: the same options give the same problems. Default 0. */
  seed?: number;
  /** Fewest arithmetic steps per problem (1–3). Default 1. */
  minSteps?: number;
  /** Most arithmetic steps per problem (1–3, ≥ minSteps). Default 1. */
  maxSteps?: number;
  /** Range of the starting count and of added/subtracted amounts, inclusive. Default [1, 20]. */
  numberRange?: readonly [number, number];
  /** Range of multipliers and divisors, inclusive (≥ 2). Default [2, 5]. */
  factorRange?: readonly [number, number];
  /** Operations a step may use. Default all four. */
  operations?: readonly ArithmeticOperation[];
}

/** One arithmetic step: `left op right = result`. */
export interface ArithmeticStep {
  left: number;
  operation: ArithmeticOperation;
  right: number;
  result: number;
}

/** One generated problem. */
export interface ArithmeticProblem {
  /** The word problem. */
  question: string;
  /** GSM8K's worked-solution form: one `<<a op b=c>>` line per step, then `#### N`. */
  answer: string;
  /** The final answer N as text (what extractHashAnswer(answer) returns). */
  finalAnswer: string;
  /** The SFT target: `<reasoning>\n…\n</reasoning>\n<answer>\nN\n</answer>\n`. */
  completion: string;
  /** The steps in order (the first step's `left` is the starting count). */
  steps: ArithmeticStep[];
}

const NAMES = ['Ana', 'Ben', 'Cleo', 'Dan', 'Eva', 'Finn', 'Gus', 'Ivy', 'Jon', 'Kim', 'Leo', 'Mia', 'Ned', 'Oli', 'Pam', 'Sam'];
const ITEMS = ['apples', 'books', 'cards', 'coins', 'eggs', 'pens', 'shells', 'stamps', 'cups', 'toys'];

/** The sentence of each operation; `{n}` is the step's right operand. */
const PHRASES: Record<ArithmeticOperation, readonly string[]> = {
  '+': ['gets {n} more', 'buys {n} more', 'finds {n} more'],
  '-': ['gives away {n}', 'loses {n}', 'sells {n}'],
  '*': ['ends up with {n} times as many', 'multiplies them by {n}'],
  '/': ['splits them into {n} equal piles and keeps one pile', 'keeps one of every {n}'],
};

/** The sentence that states one step, e.g. "Then Ana buys 5 more." (exported for tests and docs). */
export const OPERATION_PHRASES: Readonly<Record<ArithmeticOperation, readonly string[]>> = PHRASES;

const ALL_OPERATIONS: readonly ArithmeticOperation[] = ['+', '-', '*', '/'];

function checkRange(name: string, range: readonly [number, number], min: number): void {
  const [lo, hi] = range;
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo < min || hi < lo) {
    throw new DataError(`generateArithmeticProblems: ${name} must be two integers [lo, hi] with ${min} ≤ lo ≤ hi, got [${range.join(', ')}].`);
  }
}

function checkOptions(o: Required<ArithmeticProblemOptions>): void {
  if (!Number.isSafeInteger(o.count) || o.count < 0) throw new DataError(`generateArithmeticProblems: count must be an integer ≥ 0, got ${o.count}.`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new DataError(`generateArithmeticProblems: seed must be an integer ≥ 0, got ${o.seed}.`);
  for (const name of ['minSteps', 'maxSteps'] as const) {
    if (!Number.isInteger(o[name]) || o[name] < 1 || o[name] > 3) throw new DataError(`generateArithmeticProblems: ${name} must be 1, 2 or 3, got ${o[name]}.`);
  }
  if (o.maxSteps < o.minSteps) throw new DataError(`generateArithmeticProblems: maxSteps (${o.maxSteps}) must be ≥ minSteps (${o.minSteps}).`);
  checkRange('numberRange', o.numberRange, 0);
  checkRange('factorRange', o.factorRange, 2);
  const bad = o.operations.filter((op) => !ALL_OPERATIONS.includes(op));
  if (o.operations.length === 0 || bad.length > 0) {
    throw new DataError(`generateArithmeticProblems: operations must be a non-empty list of ${ALL_OPERATIONS.map((op) => `'${op}'`).join(', ')}, got [${o.operations.join(', ')}].`);
  }
}

/** Integer uniform in [lo, hi]. */
const between = (rng: Mulberry32, lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));
const pick = <T>(rng: Mulberry32, values: readonly T[]): T => values[Math.floor(rng.next() * values.length)];

/**
 * One step from `count`, or null when `operation` cannot apply (nothing left to take away, no
 * divisor of `count` in factorRange).
 */
function drawStep(rng: Mulberry32, count: number, operation: ArithmeticOperation, o: Required<ArithmeticProblemOptions>): ArithmeticStep | null {
  const [lo, hi] = o.numberRange;
  const [flo, fhi] = o.factorRange;
  if (operation === '+') {
    const right = between(rng, Math.max(lo, 1), Math.max(hi, 1));
    return { left: count, operation, right, result: count + right };
  }
  if (operation === '-') {
    if (count < 1) return null;
    const right = between(rng, 1, Math.min(count, Math.max(hi, 1)));
    return { left: count, operation, right, result: count - right };
  }
  if (operation === '*') {
    const right = between(rng, flo, fhi);
    return { left: count, operation, right, result: count * right };
  }
  const divisors: number[] = [];
  for (let d = flo; d <= fhi; d++) if (count > 0 && count % d === 0) divisors.push(d);
  if (divisors.length === 0) return null;
  const right = pick(rng, divisors);
  return { left: count, operation, right, result: count / right };
}

/** A problem's text parts from its steps. */
function render(name: string, item: string, steps: readonly ArithmeticStep[], phrases: readonly string[]): Omit<ArithmeticProblem, 'steps'> {
  const sentences = [`${name} has ${steps[0].left} ${item}.`];
  steps.forEach((s, i) => sentences.push(`${i === 0 ? '' : 'Then '}${name} ${phrases[i].replace('{n}', String(s.right))}.`));
  sentences.push(`How many ${item} does ${name} have now?`);
  const finalAnswer = String(steps[steps.length - 1].result);
  return {
    question: sentences.join(' '),
    answer: `${steps.map((s) => `${s.left}${s.operation}${s.right}=<<${s.left}${s.operation}${s.right}=${s.result}>>${s.result}`).join('\n')}\n#### ${finalAnswer}`,
    finalAnswer,
    completion: arithmeticCompletion({ steps, finalAnswer }, 'steps'),
  };
}

/**
 * `count` seeded word problems. Each step draws an operation from `operations` (one that cannot
 * apply to the running count, e.g. a division with no whole divisor, is redrawn among the others;
 * when none applies the problem ends early only if minSteps allows, else it restarts).
 * @throws DataError naming the option that is out of range.
 */
export function generateArithmeticProblems(options: ArithmeticProblemOptions): ArithmeticProblem[] {
  const o: Required<ArithmeticProblemOptions> = {
    seed: 0,
    minSteps: 1,
    maxSteps: 1,
    numberRange: [1, 20],
    factorRange: [2, 5],
    operations: ALL_OPERATIONS,
    ...options,
  };
  checkOptions(o);
  const rng = new Mulberry32(o.seed);
  const problems: ArithmeticProblem[] = [];
  let restarts = 0;
  while (problems.length < o.count) {
    const name = pick(rng, NAMES);
    const item = pick(rng, ITEMS);
    const wanted = between(rng, o.minSteps, o.maxSteps);
    let count = between(rng, Math.max(o.numberRange[0], 1), Math.max(o.numberRange[1], 1));
    const steps: ArithmeticStep[] = [];
    const phrases: string[] = [];
    while (steps.length < wanted) {
      const candidates = [...o.operations];
      let step: ArithmeticStep | null = null;
      while (step === null && candidates.length > 0) {
        const op = candidates.splice(Math.floor(rng.next() * candidates.length), 1)[0];
        step = drawStep(rng, count, op, o);
      }
      if (step === null) break;
      steps.push(step);
      phrases.push(pick(rng, PHRASES[step.operation]));
      count = step.result;
    }
    if (steps.length < o.minSteps) {
      // e.g. only '/' allowed and a prime start: draw again, unless the options never allow minSteps
      if (++restarts > 10_000) throw new DataError(`generateArithmeticProblems: no problem of ${o.minSteps} steps fits operations [${o.operations.join(', ')}], numberRange [${o.numberRange.join(', ')}] and factorRange [${o.factorRange.join(', ')}]; widen them.`);
      continue;
    }
    problems.push({ ...render(name, item, steps, phrases), steps });
  }
  return problems;
}

/**
 * How an SFT target shows its arithmetic: `steps`, one equation per line (the problem's
 * `completion`); `expression`, the whole calculation on one line, each earlier step in parentheses
 * (`(6 + 6) - 9 = 3`); `direct`, no working at all (`The answer is 3.`).
 */
export type SolutionStyle = 'steps' | 'expression' | 'direct';

/**
 * The problem's SFT target in `style`, in the layout the seven reference rewards check.
 * @throws DataError when the style is unknown, the problem has no step, or its final answer is not its last step's result.
 */
export function arithmeticCompletion(problem: { readonly steps: readonly ArithmeticStep[]; readonly finalAnswer: string }, style: SolutionStyle): string {
  const { steps, finalAnswer } = problem;
  if (steps.length === 0) throw new DataError('arithmeticCompletion: problem.steps must hold at least one step.');
  if (String(steps[steps.length - 1].result) !== finalAnswer) {
    throw new DataError(`arithmeticCompletion: problem.finalAnswer ${JSON.stringify(finalAnswer)} is not the last step's result ${steps[steps.length - 1].result}.`);
  }
  let reasoning: string;
  if (style === 'steps') {
    reasoning = steps.map((s) => `${s.left} ${s.operation} ${s.right} = ${s.result}`).join('\n');
  } else if (style === 'expression') {
    const expression = steps.slice(1).reduce((text, s) => `(${text}) ${s.operation} ${s.right}`, `${steps[0].left} ${steps[0].operation} ${steps[0].right}`);
    reasoning = `${expression} = ${finalAnswer}`;
  } else if (style === 'direct') {
    reasoning = `The answer is ${finalAnswer}.`;
  } else {
    throw new DataError(`arithmeticCompletion: style must be 'steps', 'expression' or 'direct', got ${JSON.stringify(style)}.`);
  }
  return `<reasoning>\n${reasoning}\n</reasoning>\n<answer>\n${finalAnswer}\n</answer>\n`;
}
