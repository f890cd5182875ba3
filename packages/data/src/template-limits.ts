/**
 * Rendering an untrusted chat template (it comes with a downloaded model) under a time and an
 * output-size limit, in this thread. `@huggingface/jinja` is synchronous and has no hooks, but it
 * exports its `Interpreter`, and every statement and expression a template runs goes through
 * `Interpreter.evaluate`. This file's subclass counts the work (one unit per step, plus the length
 * of every list a step yields, since a `for` with an empty body iterates it without further steps),
 * looks at the clock every 1024 units, and measures every string and list a step yields: each
 * string against the output limit, all strings together against 16 times it (which bounds what a
 * loop can accumulate out of sight), each list against MAX_TEMPLATE_LIST_ITEMS. A template that
 * loops for ever or builds gigabytes thus stops within about one step of a limit, with an error
 * naming its source.
 *
 * Why not a worker thread with a timeout: it would also bound native work inside one step, but a
 * render must stay synchronous (prompts are rendered in plain loops) and a message round trip per
 * prompt would cost more than the render; here the overhead is a counter per step
 * (test/chat-template-limits.test.ts measures it against the bare library).
 *
 * `Template.render` builds its own interpreter, so the template's globals are set up here as the
 * library's (unexported) `setupGlobals` does, with `range` refusing lists over the limit before it
 * builds them: `range(10**12)` would otherwise allocate before the next step is counted.
 */
import { Environment, Interpreter } from '@huggingface/jinja';
import { DataError } from './errors.js';

// The package's .d.ts re-exports its runtime from extensionless paths, which NodeNext resolution
// cannot follow, so TypeScript sees these two classes untyped; these are the members used here.
interface JinjaValue {
  type: string;
  value: unknown;
}
interface JinjaEnvironment {
  set(name: string, value: unknown): JinjaValue;
}
interface JinjaInterpreter {
  evaluate(statement: unknown, environment: JinjaEnvironment): JinjaValue;
  run(program: unknown): JinjaValue;
}
const InterpreterBase = Interpreter as unknown as new (env: JinjaEnvironment) => JinjaInterpreter;
const EnvironmentClass = Environment as unknown as new () => JinjaEnvironment;

/** How far a chat template may go; the defaults leave real templates (a few ms, a few KB) far inside. */
export interface ChatTemplateLimits {
  /** Wall-clock time one render may take, in ms. Default 2000. */
  timeMs?: number;
  /** Longest string (the output, or any string built on the way), in characters. Default 4,000,000. */
  maxOutputChars?: number;
}

/** The limits used when a caller sets none. */
export const DEFAULT_CHAT_TEMPLATE_LIMITS: Required<ChatTemplateLimits> = { timeMs: 2000, maxOutputChars: 4_000_000 };

/** A chat template ran past its time or size limit, or recursed without end. */
export class ChatTemplateLimitError extends DataError {
  override name = 'ChatTemplateLimitError';
  /**
   * @param source where the template came from (`chat template of ./models/qwen3`).
   * @param limit which limit it hit.
   */
  constructor(
    message: string,
    readonly source: string,
    readonly limit: 'time' | 'output' | 'recursion',
  ) {
    super(message);
  }
}

/** Thrown inside the interpreter; turned into a ChatTemplateLimitError by {@link renderWithLimits}. */
class LimitReached extends Error {
  constructor(readonly limit: 'time' | 'output' | 'list') {
    super(limit);
  }
}

/** How many characters all steps together may produce, as a multiple of the output limit: it bounds memory. */
const PRODUCED_PER_OUTPUT = 16;
/** The longest list a template may build or loop over; real ones hold messages and tools (hundreds). */
export const MAX_TEMPLATE_LIST_ITEMS = 100_000;
/** Work units between two looks at the clock. */
const CLOCK_EVERY = 1024;

class LimitedInterpreter extends InterpreterBase {
  // Work done: one unit per step, plus the length of every list a step yields, because a `for`
  // over it iterates without another step when its body is empty.
  private work = 0;
  private nextClock = CLOCK_EVERY;
  private produced = 0;

  constructor(
    env: JinjaEnvironment,
    private readonly deadline: number,
    private readonly maxChars: number,
  ) {
    super(env);
  }

  override evaluate(statement: unknown, environment: JinjaEnvironment): JinjaValue {
    if (++this.work >= this.nextClock) {
      this.nextClock = this.work + CLOCK_EVERY;
      if (performance.now() > this.deadline) throw new LimitReached('time');
    }
    const result = super.evaluate(statement, environment);
    const value: unknown = result.value;
    if (typeof value === 'string') {
      // A loop appends its body's strings out of our sight; their sum is what a loop can hold.
      this.produced += value.length;
      if (value.length > this.maxChars || this.produced > PRODUCED_PER_OUTPUT * this.maxChars) throw new LimitReached('output');
    } else if (Array.isArray(value)) {
      if (value.length > MAX_TEMPLATE_LIST_ITEMS) throw new LimitReached('list');
      this.work += value.length;
    }
    return result;
  }
}

/** Python's `range`, refusing lists over the list limit before building them. */
function limitedRange() {
  return (start: number, stop?: number, step = 1): number[] => {
    const [from, to] = stop === undefined ? [0, start] : [start, stop];
    if (step === 0) throw new Error('range() step must not be zero');
    const length = Math.max(0, Math.ceil((to - from) / step));
    if (length > MAX_TEMPLATE_LIST_ITEMS) throw new LimitReached('list');
    return Array.from({ length }, (_, i) => from + i * step);
  };
}

/** `strftime_now`: the directives @huggingface/jinja supports (%Y %m %d %b %B %H %M %%), on the current local time. */
function strftimeNow(format: string): string {
  const now = new Date();
  const pad2 = (n: number) => String(n).padStart(2, '0');
  return format.replace(/%[YmdbBHM%]/g, (token) => {
    switch (token) {
      case '%Y':
        return String(now.getFullYear());
      case '%m':
        return pad2(now.getMonth() + 1);
      case '%d':
        return pad2(now.getDate());
      case '%b':
        return new Intl.DateTimeFormat(undefined, { month: 'short' }).format(now);
      case '%B':
        return new Intl.DateTimeFormat(undefined, { month: 'long' }).format(now);
      case '%H':
        return pad2(now.getHours());
      case '%M':
        return pad2(now.getMinutes());
      default:
        return '%';
    }
  });
}

// `template` is typed by the one member read, not as jinja's `Template`: this file's .d.ts then does
// not pull jinja's declaration files, whose extensionless imports fail a consumer's strict NodeNext
// type-check without skipLibCheck.
/**
 * Renders a parsed template with `variables` under `limits`.
 * @param source where the template came from, for the error.
 * @throws ChatTemplateLimitError naming `source` and the limit; other template errors as they are.
 */
export function renderWithLimits(template: { parsed: unknown }, variables: Record<string, unknown>, limits: ChatTemplateLimits, source: string): string {
  const { timeMs, maxOutputChars } = { ...DEFAULT_CHAT_TEMPLATE_LIMITS, ...limits };
  const env = new EnvironmentClass();
  const globals: Record<string, unknown> = {
    false: false,
    true: true,
    none: null,
    False: false,
    True: true,
    None: null,
    raise_exception: (message: unknown) => {
      throw new Error(String(message));
    },
    range: limitedRange(),
    strftime_now: strftimeNow,
  };
  for (const [key, value] of Object.entries({ ...globals, ...variables })) env.set(key, value);
  try {
    const result = new LimitedInterpreter(env, performance.now() + timeMs, maxOutputChars).run(template.parsed);
    return result.value as string;
  } catch (error) {
    if (error instanceof LimitReached && error.limit === 'time') {
      throw new ChatTemplateLimitError(
        `${source}: rendering took longer than ${timeMs} ms and was stopped (a loop without end?). A chat template ` +
          'comes with the model: check it, or raise the limit (chatTemplateLimits.timeMs).',
        source,
        'time',
      );
    }
    if (error instanceof LimitReached && error.limit === 'list') {
      throw new ChatTemplateLimitError(
        `${source}: rendering built a list of more than ${MAX_TEMPLATE_LIST_ITEMS} items and was stopped. A chat template ` +
          'comes with the model and loops over messages and tools, not millions of items: check it.',
        source,
        'output',
      );
    }
    // V8 refuses strings over ~2^29 characters ("Invalid string length") before our check sees them.
    if ((error instanceof LimitReached && error.limit === 'output') || (error instanceof RangeError && /length/i.test(error.message))) {
      throw new ChatTemplateLimitError(
        `${source}: rendering built a string longer than ${maxOutputChars} characters (or ${PRODUCED_PER_OUTPUT} times that in all) ` +
          'and was stopped. A chat template comes with the model: check it, or raise the limit (chatTemplateLimits.maxOutputChars).',
        source,
        'output',
      );
    }
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new ChatTemplateLimitError(`${source}: rendering recursed without end (${error.message}); check the template's macros.`, source, 'recursion');
    }
    throw error;
  }
}
