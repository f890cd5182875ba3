/**
 * POST /v1/completions over our own model code: each token-id prompt is sampled `n` times in one
 * batched generate call, then the sampled tokens' log-probs are computed by the same model (the
 * temperature-scaled log-softmax, which is what vLLM's `--logprobs-mode processed_logprobs`
 * returns when top-k/top-p are off). The response has vLLM's CompletionResponse shape.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { CausalLM } from '@grpojs/model';
import type { CompletionRequest } from './requests.js';

/** Answers one validated request with `model` (already set up for request.model). */
export async function createCompletion(model: CausalLM, request: CompletionRequest): Promise<Record<string, unknown>> {
  const prompts = typeof request.prompt[0] === 'number' ? [request.prompt as number[]] : (request.prompt as number[][]);
  const n = request.n;
  const rows = prompts.flatMap((ids) => Array.from({ length: n }, () => ids));
  const tokenizer = model.tokenizer;
  const eos = request.stop_token_ids?.[0] ?? tokenizer?.eosTokenId;
  const greedy = request.temperature === 0;
  const out = await model.generate(rows, {
    maxNewTokens: request.max_tokens,
    doSample: !greedy,
    ...(greedy ? {} : { temperature: request.temperature, topP: request.top_p, topK: Math.max(0, request.top_k ?? 0) }),
    // vLLM draws a random seed when none is given; so does this server.
    seed: request.seed ?? randomInt(2 ** 31),
    ...(eos !== undefined ? { eosTokenId: eos } : {}),
    ...(tokenizer ? { padTokenId: tokenizer.padTokenId } : {}),
  });
  let logProbs: number[][] | null = null;
  if (request.logprobs !== null && request.logprobs !== undefined) {
    const lp = model.tokenLogProbs(rows, out.completionIds, { temperature: greedy ? 1 : request.temperature });
    try {
      const values = lp.logProbs.arraySync();
      logProbs = out.completionIds.map((ids, i) => values[i].slice(0, ids.length));
    } finally {
      lp.logProbs.dispose();
      lp.mask.dispose();
      lp.entropy?.dispose();
    }
  }
  const decode = (ids: number[], skip: boolean) => tokenizer?.decode(ids, { skipSpecialTokens: skip }) ?? '';
  const choices = out.completionIds.map((ids, i) => {
    const choice: Record<string, unknown> = {
      index: i, // prompt-major: prompt ⌊i/n⌋, sample i mod n, as vLLM numbers them
      text: decode(ids, true),
      logprobs: null,
      finish_reason: out.terminated[i] ? 'stop' : 'length',
      stop_reason: null,
    };
    if (logProbs) {
      const tokens = ids.map((id) => decode([id], false));
      let offset = 0;
      choice.logprobs = {
        text_offset: tokens.map((t) => ((offset += t.length), offset - t.length)),
        token_logprobs: logProbs[i],
        tokens,
        top_logprobs: tokens.map((t, k) => ({ [t]: logProbs[i][k] })),
      };
    }
    if (request.return_token_ids) {
      choice.prompt_token_ids = rows[i];
      choice.token_ids = ids;
    }
    return choice;
  });
  const promptTokens = prompts.reduce((s, p) => s + p.length, 0);
  const completionTokens = out.completionIds.reduce((s, ids) => s + ids.length, 0);
  return {
    id: `cmpl-${randomUUID()}`,
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}
