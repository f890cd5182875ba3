import { ChatTemplateLimitError, DEFAULT_CHAT_TEMPLATE, gsm8kPrompt, SYSTEM_PROMPT } from '@grpojs/data';
import { describe, expect, it } from 'vitest';
import { PromptFormatError, renderPrompt, resolvePromptFormat } from '../src/index.js';
import { CHATML } from './helpers/chatml.js';

const withTemplate = { chatTemplate: CHATML };
const without = {};

describe('resolvePromptFormat', () => {
  it("auto: the tokenizer's chat template when it ships one, else the seed template", () => {
    expect(resolvePromptFormat('auto', withTemplate, 'Qwen/Qwen2.5-0.5B-Instruct')).toEqual({
      format: 'chat-template', chatTemplate: CHATML, context: {}, description: 'chat template of Qwen/Qwen2.5-0.5B-Instruct',
    });
    expect(resolvePromptFormat('auto', without, 'distilgpt2')).toEqual({ format: 'seed', chatTemplate: DEFAULT_CHAT_TEMPLATE, context: {}, description: 'seed template' });
  });

  it('seed: the seed template even when the tokenizer has a chat template', () => {
    expect(resolvePromptFormat('seed', withTemplate, 'Qwen/Qwen2.5-0.5B-Instruct')).toMatchObject({ format: 'seed', chatTemplate: DEFAULT_CHAT_TEMPLATE });
  });

  it("chat-template: the tokenizer's own, and an error naming the tokenizer when it has none", () => {
    expect(resolvePromptFormat('chat-template', withTemplate, 'x')).toMatchObject({ format: 'chat-template', chatTemplate: CHATML });
    const error = (() => {
      try {
        return resolvePromptFormat('chat-template', without, 'HuggingFaceTB/SmolLM2-135M');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PromptFormatError);
    expect((error as PromptFormatError).tokenizer).toBe('HuggingFaceTB/SmolLM2-135M');
    expect((error as Error).message).toMatch(/the tokenizer of HuggingFaceTB\/SmolLM2-135M has no chat template \(its tokenizer_config\.json has no chat_template\)/);
    expect((error as Error).message).toMatch(/--prompt-format seed/);
  });
});

describe('renderPrompt', () => {
  const question = 'What is 6 * 7?';

  it('renders the seed template exactly as the data loader does (the reference prompt is unchanged)', () => {
    const seed = resolvePromptFormat('seed', without, 'distilgpt2');
    expect(renderPrompt(question, seed, SYSTEM_PROMPT)).toBe(gsm8kPrompt(question).prompt);
    expect(renderPrompt(question, seed, SYSTEM_PROMPT)).toBe(`system: ${SYSTEM_PROMPT}\nuser: ${question}\n`);
    expect(renderPrompt(question, seed, null)).toBe(`user: ${question}\n`);
  });

  it('ends a chat template with the generation prompt (add_generation_prompt)', () => {
    const chat = resolvePromptFormat('chat-template', withTemplate, 'x');
    expect(renderPrompt(question, chat, 'Be brief.')).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 6 * 7?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it("gives a chat template the tokenizer's special tokens (Llama 3 writes its own bos_token); the seed template gets none", () => {
    const llamaLike = { chatTemplate: '{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}', specialTokensMap: { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>' } };
    expect(renderPrompt('Q', resolvePromptFormat('auto', llamaLike, 'x'), null)).toBe('<|begin_of_text|>[user]Q<|eot_id|>');
    expect(resolvePromptFormat('seed', llamaLike, 'x').context).toEqual({});
  });

  it("stops a model's template that loops for ever, naming the tokenizer it came from", () => {
    // 25 million empty iterations: many seconds without the default 2 s limit.
    const endless = { chatTemplate: '{% for i in range(5000) %}{% for j in range(5000) %}{% endfor %}{% endfor %}' };
    const format = resolvePromptFormat('auto', endless, './models/evil');
    const started = performance.now();
    const error = (() => {
      try {
        return renderPrompt(question, format, SYSTEM_PROMPT);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ChatTemplateLimitError);
    expect((error as Error).message).toMatch(/^chat template of \.\/models\/evil: rendering took longer than 2000 ms/);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
