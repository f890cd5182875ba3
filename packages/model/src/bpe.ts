/**
 * The BPE merge step of a byte-level BPE tokenizer (GPT-2 family), synchronous.
 *
 * Why this exists: the `tokenizers` Node bindings only offer a Promise-returning `encode`, while
 * the trainer encodes prompts in plain synchronous code. Everything around the merge loop still
 * comes from the bindings (added-token list, normalizer, the byte-level pre-tokenizer with GPT-2's
 * regex, the decoder); only "merge the lowest-ranked adjacent pair until none is left, then look up
 * ids" is written here, and the tests check it against the bindings' own encode on GSM8K.
 */

/** The `model` object of a tokenizer.json with `"type": "BPE"`. */
export interface BpeModelJson {
  /** Absent in older files; `tokenizers` then infers BPE from `vocab` + `merges`. */
  type?: string;
  vocab: Record<string, number>;
  /** `"a b"` strings (older files) or `["a", "b"]` pairs (newer files). */
  merges: (string | [string, string])[];
  dropout?: number | null;
  continuing_subword_prefix?: string | null;
  end_of_word_suffix?: string | null;
  byte_fallback?: boolean;
  ignore_merges?: boolean;
}

/** Pair key: byte-level symbols never contain U+0001. */
const SEP = '\u0001';
const CACHE_LIMIT = 50_000;

/** Byte-level BPE: pre-token (already byte-mapped, e.g. `Ġname`) → ids. */
export class ByteLevelBpe {
  private readonly ranks = new Map<string, number>();
  private readonly vocab: Map<string, number>;
  private readonly ignoreMerges: boolean;
  private readonly cache = new Map<string, number[]>();

  /**
   * @throws Error naming the unsupported option when the model is not plain byte-level BPE.
   */
  constructor(model: BpeModelJson) {
    if ((model.type ?? 'BPE') !== 'BPE' || !Array.isArray(model.merges)) {
      throw new Error(`model.type is "${model.type}"; only BPE tokenizers (GPT-2 family) are supported`);
    }
    if (typeof model.dropout === 'number' && model.dropout > 0) throw new Error('model.dropout is set; BPE dropout is not supported');
    if (model.continuing_subword_prefix || model.end_of_word_suffix) {
      throw new Error('model.continuing_subword_prefix / end_of_word_suffix are set; only byte-level BPE is supported');
    }
    if (model.byte_fallback === true) throw new Error('model.byte_fallback is set; only byte-level BPE is supported');
    this.vocab = new Map(Object.entries(model.vocab));
    this.ignoreMerges = model.ignore_merges === true;
    model.merges.forEach((merge, rank) => {
      const [a, b] = typeof merge === 'string' ? splitMerge(merge) : merge;
      const key = a + SEP + b;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
  }

  /** Ids of one pre-token. Symbols missing from the vocabulary are dropped (as `tokenizers` does without an unk token). */
  encodeWord(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const direct = this.ignoreMerges ? this.vocab.get(word) : undefined;
    const ids = direct !== undefined ? [direct] : this.merge(Array.from(word));
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }

  private merge(symbols: string[]): number[] {
    while (symbols.length > 1) {
      let bestRank = Infinity;
      let best = -1;
      for (let i = 0; i < symbols.length - 1; i++) {
        const rank = this.ranks.get(symbols[i] + SEP + symbols[i + 1]);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const [a, b] = [symbols[best], symbols[best + 1]];
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i < symbols.length - 1 && symbols[i] === a && symbols[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else {
          merged.push(symbols[i]);
        }
      }
      symbols = merged;
    }
    const ids: number[] = [];
    for (const symbol of symbols) {
      const id = this.vocab.get(symbol);
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }
}

function splitMerge(line: string): [string, string] {
  const space = line.indexOf(' ');
  return [line.slice(0, space), line.slice(space + 1)];
}
