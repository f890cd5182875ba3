/**
 * The BPE merge step of a tokenizer.json `"type": "BPE"` model, synchronous: byte-level BPE (GPT-2,
 * Llama 3, Qwen2.5/3, SmolLM2), plus `unk_token` / `fuse_unk`, `byte_fallback` and `ignore_merges`.
 *
 * Why this exists: the `tokenizers` Node bindings only offer a Promise-returning `encode`, while
 * the trainer encodes prompts in plain synchronous code. Everything around the merge loop still
 * comes from the bindings (normalizer, pre-tokenizer, decoder); added tokens are split in
 * added-tokens.ts; only "turn a pre-token into symbols, merge the lowest-ranked adjacent pair until
 * none is left, then look up ids" is written here, following the Rust `BPE::merge_word`, and the
 * tests check it against the bindings' own encode.
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
  unk_token?: string | null;
  fuse_unk?: boolean;
}

/**
 * Throws, naming the tokenizer.json field, when `model` is not a BPE this file implements. Run
 * before the bindings see the file: some of these settings make them abort the process.
 */
export function checkBpeModel(model: BpeModelJson): void {
  if ((model.type ?? 'BPE') !== 'BPE' || !Array.isArray(model.merges)) {
    throw new Error(`model.type is "${model.type}"; only BPE models are supported (not WordPiece, Unigram or WordLevel)`);
  }
  if (typeof model.dropout === 'number' && model.dropout > 0) throw new Error('model.dropout is set; BPE dropout is not supported');
  if (model.continuing_subword_prefix || model.end_of_word_suffix) {
    throw new Error('model.continuing_subword_prefix / end_of_word_suffix are set; subword-prefix BPE is not supported');
  }
}

/** Pair key: byte-level symbols never contain U+0001. */
const SEP = '\u0001';
const CACHE_LIMIT = 50_000;
const utf8 = new TextEncoder();

/** BPE: pre-token (byte-level models: already byte-mapped, e.g. `Ġname`) → ids. */
export class ByteLevelBpe {
  private readonly ranks = new Map<string, number>();
  private readonly vocab: Map<string, number>;
  private readonly ignoreMerges: boolean;
  private readonly unkToken?: string;
  private readonly fuseUnk: boolean;
  private readonly byteFallback: boolean;
  private readonly cache = new Map<string, number[]>();

  /**
   * @throws Error naming the tokenizer.json field (`model.type`, `model.dropout`, …) when the model
   *   is a kind this file does not implement.
   */
  constructor(model: BpeModelJson) {
    checkBpeModel(model);
    this.vocab = new Map(Object.entries(model.vocab));
    this.ignoreMerges = model.ignore_merges === true;
    if (typeof model.unk_token === 'string') this.unkToken = model.unk_token;
    this.fuseUnk = model.fuse_unk === true;
    this.byteFallback = model.byte_fallback === true;
    model.merges.forEach((merge, rank) => {
      const [a, b] = typeof merge === 'string' ? splitMerge(merge) : merge;
      const key = a + SEP + b;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
  }

  /** Ids of one pre-token. */
  encodeWord(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const direct = this.ignoreMerges ? this.vocab.get(word) : undefined;
    const ids = direct !== undefined ? [direct] : this.merge(this.symbols(word));
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }

  /**
   * The starting symbols of a word, one per character, as Rust `merge_word` makes them: a character
   * missing from the vocabulary becomes its UTF-8 bytes as `<0xAB>` tokens (byte_fallback, when all
   * exist), else the unk token (a run of them fused into one with fuse_unk), else is dropped. A
   * pending unk is only written when a known character or the end comes, as there.
   */
  private symbols(word: string): string[] {
    const out: string[] = [];
    let pendingUnk = false;
    for (const char of word) {
      if (this.vocab.has(char)) {
        if (pendingUnk) out.push(this.unkToken!);
        pendingUnk = false;
        out.push(char);
        continue;
      }
      if (this.byteFallback) {
        const bytes = Array.from(utf8.encode(char), (b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
        if (bytes.every((b) => this.vocab.has(b))) {
          out.push(...bytes);
          continue;
        }
      }
      if (this.unkToken === undefined) continue;
      if (!this.vocab.has(this.unkToken)) {
        throw new Error(`model.unk_token "${this.unkToken}" is not in model.vocab (needed for ${JSON.stringify(char)})`);
      }
      if (pendingUnk && !this.fuseUnk) out.push(this.unkToken);
      pendingUnk = true;
    }
    if (pendingUnk) out.push(this.unkToken!);
    return out;
  }

  /**
   * Repeatedly merges the adjacent pair with the lowest rank (leftmost on ties), like the Rust
   * implementation: a linked list of symbols and a min-heap of candidate pairs, O(n log n), so a
   * long run of one character (e.g. 10k `=`) stays fast.
   */
  private merge(symbols: string[]): number[] {
    const n = symbols.length;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new PairHeap();
    const push = (left: number) => {
      const right = next[left];
      if (right < 0) return;
      const rank = this.ranks.get(symbols[left] + SEP + symbols[right]);
      if (rank !== undefined) heap.push({ rank, pos: left, left: symbols[left], right: symbols[right] });
    };
    for (let i = 0; i < n - 1; i++) push(i);
    for (let top = heap.pop(); top !== undefined; top = heap.pop()) {
      const right = next[top.pos];
      // Stale entry: a merge since it was pushed changed one side (symbols only grow, so equal
      // strings mean the pair is unchanged).
      if (right < 0 || symbols[top.pos] !== top.left || symbols[right] !== top.right) continue;
      symbols[top.pos] = top.left + top.right;
      symbols[right] = '';
      next[top.pos] = next[right];
      if (next[right] >= 0) prev[next[right]] = top.pos;
      if (prev[top.pos] >= 0) push(prev[top.pos]);
      push(top.pos);
    }
    const ids: number[] = [];
    for (let i = 0; i >= 0 && i < n; i = next[i]) ids.push(this.vocab.get(symbols[i])!);
    return ids;
  }
}

interface PairEntry {
  rank: number;
  pos: number;
  left: string;
  right: string;
}

/** Binary min-heap of candidate merges ordered by (rank, position). */
class PairHeap {
  private readonly items: PairEntry[] = [];

  private static less(a: PairEntry, b: PairEntry): boolean {
    return a.rank < b.rank || (a.rank === b.rank && a.pos < b.pos);
  }

  push(item: PairEntry): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!PairHeap.less(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): PairEntry | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < items.length && PairHeap.less(items[l], items[smallest])) smallest = l;
        if (r < items.length && PairHeap.less(items[r], items[smallest])) smallest = r;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest], items[i]];
        i = smallest;
      }
    }
    return top;
  }
}

function splitMerge(line: string): [string, string] {
  const space = line.indexOf(' ');
  return [line.slice(0, space), line.slice(space + 1)];
}
