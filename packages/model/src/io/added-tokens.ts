/**
 * Splits text around the added tokens of a tokenizer.json (`<|im_start|>`, `<|eot_id|>`, `<think>`),
 * synchronously, the way the Rust `tokenizers` AddedVocabulary does before the model sees the text:
 * leftmost-longest matches, first of the tokens with `normalized: false` on the raw text, then of
 * those with `normalized: true` on each normalized piece; `single_word`, `lstrip` and `rstrip` as there.
 *
 * Why hand-written: the bindings expose no synchronous split (see bpe.ts); this mirrors
 * `AddedVocabulary::find_matches` / `extract_and_normalize` and is tested against the bindings'
 * encode. Rust's `\w` and `\s` are Unicode classes, spelled out below for JavaScript.
 */

/** One entry of tokenizer.json `added_tokens`. */
export interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  /** Matched on the normalized text; tokenizers' default for a non-special token. */
  normalized?: boolean;
}

/** A piece of the input: text still to tokenize, or the id of an added token. */
export type Piece = string | number;

const ENDS_WITH_WORD = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u;
const STARTS_WITH_WORD = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const SPACE_AT_END = /\p{White_Space}*$/u;
const SPACE_AT_START = /^\p{White_Space}*/u;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One matching set: the tokens matched on one form of the text (raw or normalized). */
class MatchingSet {
  private readonly pattern: RegExp;
  private readonly byContent = new Map<string, AddedTokenJson>();

  constructor(tokens: { match: string; token: AddedTokenJson }[]) {
    for (const { match, token } of tokens) if (!this.byContent.has(match)) this.byContent.set(match, token);
    // Longest first: JavaScript takes the first alternative that matches at the leftmost position,
    // which makes this the leftmost-longest match of the Rust Aho-Corasick automaton.
    const contents = [...this.byContent.keys()].sort((a, b) => b.length - a.length);
    this.pattern = new RegExp(contents.map(escapeRegExp).join('|'), 'gu');
  }

  /** Splits `text` into text pieces and token ids (Rust `find_matches`). */
  split(text: string, out: Piece[]): void {
    let startOffset = 0;
    for (const match of text.matchAll(this.pattern)) {
      let start = match.index;
      let stop = start + match[0].length;
      const token = this.byContent.get(match[0])!;
      if (token.single_word === true) {
        const startSpace = start === 0 || !ENDS_WITH_WORD.test(text.slice(0, start));
        const stopSpace = stop === text.length || !STARTS_WITH_WORD.test(text.slice(stop));
        if (!startSpace || !stopSpace) continue;
      }
      if (token.lstrip === true) start = Math.max(SPACE_AT_END.exec(text.slice(0, start))!.index, startOffset);
      if (token.rstrip === true) stop += SPACE_AT_START.exec(text.slice(stop))![0].length;
      if (startOffset < start) out.push(text.slice(startOffset, start));
      out.push(token.id);
      startOffset = stop;
    }
    if (startOffset < text.length) out.push(text.slice(startOffset));
  }
}

/** Added-token extraction and normalization, in the order of the Rust `extract_and_normalize`. */
export class AddedTokenSplitter {
  private readonly raw?: MatchingSet;
  private readonly normalizedSet?: MatchingSet;

  /**
   * @param tokens tokenizer.json `added_tokens`.
   * @param normalize the tokenizer's normalizer (identity when it has none).
   */
  constructor(
    tokens: readonly AddedTokenJson[],
    private readonly normalize: (text: string) => string,
  ) {
    const usable = tokens.filter((t) => t.content !== '');
    const raw = usable.filter((t) => t.normalized === false).map((token) => ({ match: token.content, token }));
    // A normalized token is matched in its normalized form (Rust caches exactly that).
    const normalized = usable.filter((t) => t.normalized !== false).map((token) => ({ match: normalize(token.content), token }));
    if (raw.length > 0) this.raw = new MatchingSet(raw);
    const nonEmpty = normalized.filter((t) => t.match !== '');
    if (nonEmpty.length > 0) this.normalizedSet = new MatchingSet(nonEmpty);
  }

  /** `text` as normalized text pieces (ready for the pre-tokenizer) and added-token ids, in order. */
  split(text: string): Piece[] {
    const first: Piece[] = [];
    if (this.raw === undefined) first.push(text);
    else this.raw.split(text, first);
    const out: Piece[] = [];
    for (const piece of first) {
      if (typeof piece === 'number') {
        out.push(piece);
        continue;
      }
      const normalized = this.normalize(piece);
      if (this.normalizedSet === undefined) out.push(normalized);
      else this.normalizedSet.split(normalized, out);
    }
    return out.filter((piece) => piece !== '');
  }
}
