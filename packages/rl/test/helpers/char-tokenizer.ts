/**
 * A character-level tokenizer for synthetic tasks: one id per character of a fixed alphabet plus
 * an end-of-sequence id (also used as padding, as GPT-2 does). Implements TrainerTokenizer.
 */
import type { TrainerTokenizer } from '../../src/types.js';

export class CharTokenizer implements TrainerTokenizer {
  readonly eosTokenId: number;
  readonly padTokenId: number;
  readonly vocabSize: number;

  constructor(readonly alphabet: string) {
    this.eosTokenId = alphabet.length;
    this.padTokenId = alphabet.length;
    this.vocabSize = alphabet.length + 1;
  }

  encode(text: string): number[] {
    return [...text].map((ch) => {
      const id = this.alphabet.indexOf(ch);
      if (id < 0) throw new Error(`CharTokenizer: character ${JSON.stringify(ch)} is not in the alphabet "${this.alphabet}".`);
      return id;
    });
  }

  decode(ids: number[], options: { skipSpecialTokens?: boolean } = {}): string {
    return ids
      .filter((id) => !(options.skipSpecialTokens && id === this.eosTokenId))
      .map((id) => (id === this.eosTokenId ? '<eos>' : this.alphabet[id]))
      .join('');
  }
}
