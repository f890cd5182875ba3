/**
 * SFT rows → ids and loss mask for the conversational shapes (TRL): prompt/completion messages
 * train on what the completion adds to the rendered prompt; `messages` rows train on every token,
 * or with assistantOnlyLoss on each assistant turn's text; truncation and no-loss rows.
 */
import { describe, expect, it } from 'vitest';
import { splitAtLoss, tokenizeRow, type MessagesRenderer, type SFTRow } from '../../src/sft/dataset.js';
import { CharTokenizer } from '../helpers/char-tokenizer.js';

const tokenizer = new CharTokenizer('abcdeuAU:|>');
// A tiny chat template: "U:<content>|" per user turn, "A:<content>|" per assistant turn, "A:" as the generation header.
const render: MessagesRenderer = (messages, addGenerationPrompt) =>
  messages.map((m) => `${m.role === 'user' ? 'U' : 'A'}:${m.content}|`).join('') + (addGenerationPrompt ? 'A:' : '');
const options = { tokenizer, renderMessages: render, completionOnlyLoss: null as boolean | null, assistantOnlyLoss: false, maxLength: null };
const trained = (row: SFTRow, o = options) => {
  const { ids, lossMask } = tokenizeRow(row, 0, o);
  return tokenizer.decode(ids.filter((_, i) => lossMask[i] === 1));
};

describe('SFT row tokenization', () => {
  it('conversational prompt/completion: the completion is what it adds after the generation header', () => {
    const row: SFTRow = { prompt: [{ role: 'user', content: 'ab' }], completion: [{ role: 'assistant', content: 'cd' }] };
    expect(tokenizer.decode(tokenizeRow(row, 0, options).ids)).toBe('U:ab|A:cd|');
    expect(trained(row)).toBe('cd|');
    expect(trained(row, { ...options, completionOnlyLoss: false })).toBe(':ab|A:cd|'); // every token but the first
  });

  it('messages: every token by default; assistantOnlyLoss trains each assistant turn only', () => {
    const row: SFTRow = { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'bc' }, { role: 'user', content: 'd' }, { role: 'assistant', content: 'e' }] };
    expect(trained(row)).toBe(':a|A:bc|U:d|A:e|');
    expect(trained(row, { ...options, assistantOnlyLoss: true })).toBe('bc|e|');
  });

  it('cuts at maxLength from the end; a row left with no trained token keeps its prefix as the prompt', () => {
    const row: SFTRow = { prompt: 'abcde', completion: 'ab' };
    const cut = tokenizeRow(row, 0, { ...options, maxLength: 5 });
    expect(cut.ids).toHaveLength(5);
    expect(splitAtLoss(cut)).toEqual({ promptIds: [0, 1, 2, 3, 4], completionIds: [], completionMask: [] });
    expect(splitAtLoss(tokenizeRow(row, 0, { ...options, maxLength: 6 }))).toEqual({ promptIds: [0, 1, 2, 3, 4], completionIds: [0], completionMask: [1] });
  });

  it('names the row and what is wrong', () => {
    expect(() => tokenizeRow({ prompt: 'a', completion: [{ role: 'assistant', content: 'b' }] } as unknown as SFTRow, 3, options)).toThrow(/trainDataset\[3\]: "prompt" and "completion" must both be strings or both be lists/);
    expect(() => tokenizeRow({ messages: [] }, 1, options)).toThrow(/trainDataset\[1\]: "messages" must be a non-empty list/);
  });
});
