import { describe, expect, it } from 'vitest';
import { ByteLevelBpe } from '../src/io/bpe.js';
import { gpt2TokenizerJsonFromBpe, HFTextTokenizer } from '../src/io/tokenizer.js';

const vocab = { a: 0, b: 1, c: 2, ab: 3, abc: 4, bc: 5, 'Ġ': 6, 'Ġa': 7, '<|endoftext|>': 8 };

describe('ByteLevelBpe (the synchronous merge step)', () => {
  it('merges the lowest-ranked pair first, in either merges format', () => {
    for (const merges of [['a b', 'ab c', 'b c'], [['a', 'b'], ['ab', 'c'], ['b', 'c']] as [string, string][]]) {
      const bpe = new ByteLevelBpe({ vocab, merges });
      expect(bpe.encodeWord('abc')).toEqual([4]);
      expect(bpe.encodeWord('bca')).toEqual([5, 0]);
      expect(bpe.encodeWord('ababc')).toEqual([3, 4]);
    }
    // With "b c" ranked first, "abc" becomes a + bc (no merge "a bc" exists).
    expect(new ByteLevelBpe({ vocab, merges: ['b c', 'a b', 'ab c'] }).encodeWord('abc')).toEqual([0, 5]);
  });

  it('uses a whole-word vocab hit first when ignore_merges is set', () => {
    expect(new ByteLevelBpe({ vocab, merges: ['b c'], ignore_merges: true }).encodeWord('abc')).toEqual([4]);
    expect(new ByteLevelBpe({ vocab, merges: ['b c'] }).encodeWord('abc')).toEqual([0, 5]);
  });

  it('refuses BPE variants it does not implement, naming the option', () => {
    expect(() => new ByteLevelBpe({ type: 'WordPiece', vocab, merges: [] })).toThrow(/model\.type is "WordPiece"/);
    expect(() => new ByteLevelBpe({ vocab, merges: [], dropout: 0.1 })).toThrow(/model\.dropout/);
    expect(() => new ByteLevelBpe({ vocab, merges: [], continuing_subword_prefix: '##' })).toThrow(/continuing_subword_prefix/);
  });

  it('falls back to <0xAB> byte tokens, then to the unk token (fused with fuse_unk), else drops the character', () => {
    const bytes = { ...vocab, '<0xC3>': 9, '<0xA9>': 10, '<unk>': 11 };
    expect(new ByteLevelBpe({ vocab: bytes, merges: [], byte_fallback: true }).encodeWord('aéb')).toEqual([0, 9, 10, 1]);
    expect(new ByteLevelBpe({ vocab: bytes, merges: [], unk_token: '<unk>' }).encodeWord('aééb')).toEqual([0, 11, 11, 1]);
    expect(new ByteLevelBpe({ vocab: bytes, merges: [], unk_token: '<unk>', fuse_unk: true }).encodeWord('aééb')).toEqual([0, 11, 1]);
    expect(new ByteLevelBpe({ vocab: bytes, merges: ['a b'] }).encodeWord('aéb')).toEqual([3]);
  });
});

describe('HFTextTokenizer on a tiny byte-level vocabulary', () => {
  const special = { bos: { token: '<|endoftext|>', id: 8 }, eos: { token: '<|endoftext|>', id: 8 }, pad: { token: '<|endoftext|>', id: 8, hasOwnPad: false } };
  const t = new HFTextTokenizer(gpt2TokenizerJsonFromBpe(vocab, '#version: 0.2\na b\nab c\nĠ a\n'), special);

  it('splits around added tokens, pre-tokenizes like GPT-2 and decodes back', () => {
    expect(t.encode('abc a<|endoftext|>ab')).toEqual([4, 7, 8, 3]);
    expect(t.decode([4, 7, 8, 3])).toBe('abc a<|endoftext|>ab');
    expect(t.decode([4, 7, 8, 3], { skipSpecialTokens: true })).toBe('abc aab');
    expect(t.vocabSize).toBe(9);
  });

  it('names an id outside the vocabulary', () => {
    expect(() => t.decode([3, 99])).toThrow(/token id 99 is outside the vocabulary \(size 9\)/);
  });
});
