/**
 * Texts and the comparison shared by the tokenizer tests that check our synchronous encode/decode
 * against the Hugging Face `tokenizers` bindings' own (async) encode/decode.
 */
import type { Tokenizer } from 'tokenizers';
import { expect } from 'vitest';
import type { HFTextTokenizer } from '../src/io/tokenizer.js';

/** Strings that exercise each part of the pipeline: added tokens, the split regex, NFC, byte level. */
export const TRICKY_TEXTS = [
  'Hello, world!',
  '<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
  'a<|endoftext|>b <|endoftext|> <|endoftext|><|endoftext|>',
  '<|end_of_text|><|eot_id|><think>\nhmm\n</think>\n\n42<tool_call>{"a": 1}</tool_call>',
  '<|im_start <|im_start|<|im_start|>> <|eot_id| |eot_id|>',
  '1 12 123 1234 12345 123456 1234567 3.14159 -42 1,000,000 $1234.56 2024-01-31 ０１２３ ٣٤٥',
  "I'm you're we've they'll she'd it's IT'S I'M O'Neil 'tis don't",
  'a  b   c    d\n\ne\n\n\nf\t\tg \t \n h  \n  ',
  '   leading and trailing   ',
  '\r\nwindows\r\nline\rendings\r\n',
  '漢字とひらがなとカタカナ。한국어 문장입니다. 中文，标点！',
  'emoji 🙂👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ flags and ZWJ',
  'café naïve résumé Ångström e\u0301 A\u030a n\u0303 ﬁ Ⅻ ½',
  'Ελληνικά русский עברית العربية हिन्दी ไทย',
  'code: `x = f(a, b); // ok` {"k": [1, 2]} <div class="x">&amp;</div>',
  '\u00a0non-breaking\u00a0spaces\u2003em\u3000ideographic\u200bzero-width',
  '',
  ' ',
  '\n',
  '=====\n-----\n*****',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  // Words whose whole-word vocabulary entry differs from what the merges build (Llama 3's ignore_merges).
  'Tôi biết việc hợp nhiều điều. jeho dikkat merkez milyon nhanh zdrav gelmektedir .:.:.:.:.:.:.:.:',
];

/** Seeded random strings from pieces that tend to break tokenizers (mulberry32, reproducible). */
export function fuzzTexts(count: number, seed: number): string[] {
  const pieces = [
    ' ', '  ', '\n', '\n\n', '\t', '\r\n', 'a', 'Z', 'the', ' word', "'s", "'LL", '0', '7', '42', '123456', '.', ',', '!?', '—', '…',
    'é', 'e\u0301', 'ß', 'ﬁ', '漢', '字', 'ア', '한', '🙂', '👍🏽', '‍', '\u00a0', '\u3000', '<|im_start|>', '<|im_end|>', '<|endoftext|>',
    '<|eot_id|>', '<|begin_of_text|>', '<think>', '</think>', '<|', '|>', '<', '>', '$', '\\', '"', '{', '}', '_',
  ];
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + Math.floor(random() * 24) }, () => pieces[Math.floor(random() * pieces.length)]).join(''),
  );
}

/** Our ids, and decode with and without special tokens, equal the bindings' on every text. */
export async function expectSameAsBindings(t: HFTextTokenizer, reference: Tokenizer, texts: readonly string[]): Promise<void> {
  const expected = (await reference.encodeBatch([...texts], { addSpecialTokens: false })).map((encoding) => encoding.getIds());
  const ids = t.encodeBatch(texts);
  for (const [i, text] of texts.entries()) expect(ids[i], JSON.stringify(text)).toEqual(expected[i]);
  expect(t.decodeBatch(ids)).toEqual(await reference.decodeBatch(expected, false));
  expect(t.decodeBatch(ids, { skipSpecialTokens: true })).toEqual(await reference.decodeBatch(expected, true));
}
