import { describe, expect, it } from 'vitest';
import { DEFAULT_CHAT_TEMPLATE, DataError, SYSTEM_PROMPT, gsm8kPrompt, renderChatTemplate } from '../src/index.js';

describe('renderChatTemplate', () => {
  it('renders the reference template as one "role: content" line per message', () => {
    const text = renderChatTemplate([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'Q?' },
    ]);
    expect(text).toBe('system: S\nuser: Q?\n');
    expect(DEFAULT_CHAT_TEMPLATE).toContain("message['role']");
  });

  it("renders a model's own template with add_generation_prompt and extra variables", () => {
    // ChatML, as in Qwen/SmolLM tokenizer_config.json (with HF's trim_blocks behaviour).
    const chatml =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
    const messages = [{ role: 'user', content: 'hi' }];
    expect(renderChatTemplate(messages, { chatTemplate: chatml })).toBe('<|im_start|>user\nhi<|im_end|>\n');
    expect(renderChatTemplate(messages, { chatTemplate: chatml, addGenerationPrompt: true })).toBe(
      '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(renderChatTemplate(messages, { chatTemplate: '{{ bos_token }}{{ messages[0].content }}', context: { bos_token: '<s>' } })).toBe(
      '<s>hi',
    );
  });

  it('reports broken templates and malformed messages', () => {
    expect(() => renderChatTemplate([{ role: 'user', content: 'x' }], { chatTemplate: '{% for %}' })).toThrow(DataError);
    expect(() => renderChatTemplate([{ role: 'user' } as never])).toThrow(/messages\[0\] needs string "role" and "content"/);
  });
});

describe('gsm8kPrompt', () => {
  it('puts the reference system prompt before the question', () => {
    const { messages, prompt } = gsm8kPrompt('What is 2+2?');
    expect(messages).toEqual([
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: 'What is 2+2?' },
    ]);
    expect(prompt).toBe(
      'system: Respond in the following format:\n<reasoning>\n...\n</reasoning>\n<answer>\n...\n</answer>\nuser: What is 2+2?\n',
    );
    expect(gsm8kPrompt('Q', { systemPrompt: null }).prompt).toBe('user: Q\n');
  });
});
