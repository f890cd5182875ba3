/**
 * The server rollout: completions are sampled by OpenAI-compatible inference servers (vLLM, SGLang,
 * `grpojs serve`) while this process trains. Before each generation batch the policy is written to
 * a new folder per version under the shared adapter dir and loaded on every server; the batch's
 * prompts are then spread over the servers, and a failing server's share is retried on the others.
 * See docs/scale-out.md.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PolicyModel } from '../policy-model.js';
import type { RolloutBackend, SampleRequest, SampleResult } from './backend.js';
import { completionsBody, loadLoraBody, readCompletionRows, unloadLoraBody, updateWeightsFromDiskBody, type SampledRow } from './completions-api.js';
import { NoRolloutServerLeftError, RolloutServerError } from './errors.js';
import { nodeFetch, postJson, type FetchLike } from './http.js';

/** How a new policy version reaches the servers. */
export type WeightSync = 'lora' | 'sglang_merged';

/** Options of {@link ServerRollout}. */
export interface ServerRolloutOptions {
  /** Base URLs (http://host:port) of the servers. */
  urls: readonly string[];
  /** The base model's served name (vLLM: --served-model-name, else the path given to `vllm serve`). */
  model: string;
  /** Folder the servers can read at the same path: each policy version is written under it. */
  adapterDir: string;
  /**
   * "lora": PEFT adapter + /v1/load_lora_adapter, requests name the version (vLLM, grpojs serve).
   * "sglang_merged": merged full-weight folder + SGLang's /update_weights_from_disk, for models a
   * server cannot serve with LoRA (GPT-2 on vLLM); requests name the base model.
   */
  weightSync: WeightSync;
  /** Writes the policy (PolicyModel.save). */
  policy: Pick<PolicyModel, 'save'>;
  /** Deadline of one /v1/completions call. */
  requestTimeoutMs: number;
  /** Deadline of one adapter or weight load. */
  loadTimeoutMs: number;
  /** Prefix of the adapter names (`<prefix>-<version>`). Default "policy". */
  namePrefix?: string;
  logger?: Pick<Console, 'warn' | 'info'>;
  /** The HTTP client (default: nodeFetch, node:http without undici's 300 s header deadline). */
  fetch?: FetchLike;
}

/** One chunk of the batch: prompts [start, end) of the request. */
interface Chunk {
  start: number;
  end: number;
}

/** Samples on remote servers; see the file comment. */
export class ServerRollout implements RolloutBackend {
  readonly kind = 'server';
  /** Servers still in use, in the order given; a failed one is dropped for the rest of the run. */
  private readonly live: string[];
  private readonly fetchImpl: FetchLike;
  private readonly logger: Pick<Console, 'warn' | 'info'>;
  private readonly prefix: string;
  /** The version every live server has, and the older ones still loaded (to unload). */
  private current: number | null = null;

  constructor(private readonly options: ServerRolloutOptions) {
    if (options.urls.length === 0) throw new RangeError('ServerRollout: urls is empty; give at least one server base URL.');
    this.live = [...new Set(options.urls)];
    this.fetchImpl = options.fetch ?? nodeFetch;
    this.logger = options.logger ?? console;
    this.prefix = options.namePrefix ?? 'policy';
  }

  /** The servers still in use. */
  get servers(): readonly string[] {
    return [...this.live];
  }

  /** The name requests use for `version`: the adapter's lora_name, or the base model after a merged push. */
  servedName(version: number): string {
    return this.options.weightSync === 'lora' ? `${this.prefix}-${version}` : this.options.model;
  }

  private versionDir(version: number): string {
    return resolve(join(this.options.adapterDir, `${this.prefix}-${version}`));
  }

  async syncPolicy(version: number, signal?: AbortSignal): Promise<void> {
    if (this.current === version) return;
    const dir = this.versionDir(version);
    const merged = this.options.weightSync === 'sglang_merged';
    await rm(dir, { recursive: true, force: true });
    await this.options.policy.save(dir, merged ? { merged: true } : { adapterOnly: true });
    const name = this.servedName(version);
    const [path, body] = merged ? ['/update_weights_from_disk', updateWeightsFromDiskBody(dir)] : ['/v1/load_lora_adapter', loadLoraBody(name, dir)];
    const post = (url: string, to: string, payload: unknown) => postJson(this.fetchImpl, url, to, payload, { timeoutMs: this.options.loadTimeoutMs, json: merged, ...(signal ? { signal } : {}) });
    const failures = await this.onEveryServer(async (url) => {
      let answer: unknown;
      try {
        answer = await post(url, path, body);
      } catch (error) {
        // A resumed run can find this version's name still loaded by the run that stopped (vLLM and
        // grpojs serve answer 400 "... has already been loaded"): unload it, then load the new folder.
        if (merged || !(error instanceof RolloutServerError) || !/HTTP 400: .*has already been loaded/.test(error.message)) throw error;
        this.logger.info(`grpojs: rollout server ${url} still had ${name} loaded; replacing it with ${dir}.`);
        await post(url, '/v1/unload_lora_adapter', unloadLoraBody(name));
        answer = await post(url, path, body);
      }
      // SGLang answers {success, message}; vLLM's load answers 200 with a plain-text message.
      if (merged && (answer as { success?: unknown }).success !== true) {
        throw new RolloutServerError(url, `POST ${url}${path} did not load ${dir}: ${JSON.stringify(answer).slice(0, 300)}`);
      }
    });
    this.dropFailed(failures, `loading policy version ${version} (${dir})`);
    const previous = this.current;
    this.current = version;
    if (previous !== null) await this.forget(previous);
  }

  /** Unloads an old version from the live servers (lora) and deletes its folder; failures only warn. */
  private async forget(version: number): Promise<void> {
    if (this.options.weightSync === 'lora') {
      const name = this.servedName(version);
      const failures = await this.onEveryServer((url) => postJson(this.fetchImpl, url, '/v1/unload_lora_adapter', unloadLoraBody(name), { timeoutMs: this.options.loadTimeoutMs, json: false }).then(() => undefined));
      for (const f of failures) this.logger.warn(`grpojs: rollout server ${f.url} could not unload ${name} (${f.error.message}); it keeps serving the newer version.`);
    }
    await rm(this.versionDir(version), { recursive: true, force: true });
  }

  async sample(request: SampleRequest): Promise<SampleResult> {
    if (this.current === null) throw new RangeError('ServerRollout.sample: call syncPolicy(version) first, so the servers have the policy.');
    const name = this.servedName(this.current);
    const P = request.promptIds.length;
    const G = request.numGenerations;
    const rows: SampledRow[] = new Array(P * G);
    // Contiguous shares, one per live server, sized within one prompt of each other.
    let pending: Chunk[] = this.live.map((_, s) => ({ start: Math.floor((s * P) / this.live.length), end: Math.floor(((s + 1) * P) / this.live.length) })).filter((c) => c.end > c.start);
    let turn = 0;
    while (pending.length > 0) {
      if (this.live.length === 0) throw new NoRolloutServerLeftError('Every rollout server failed (see the warnings above); no step is trained on a partial batch. Restart the servers and resume from the last checkpoint (--resume latest).');
      const assigned = pending.map((chunk) => ({ chunk, url: this.live[turn++ % this.live.length] }));
      const results = await Promise.allSettled(
        assigned.map(async ({ chunk, url }) => {
          const body = completionsBody({ model: name, prompt: request.promptIds.slice(chunk.start, chunk.end), n: G, maxTokens: request.maxNewTokens, sampling: request.sampling, eosTokenId: request.eosTokenId });
          const answer = await postJson(this.fetchImpl, url, '/v1/completions', body, { timeoutMs: this.options.requestTimeoutMs, json: true, ...(request.signal ? { signal: request.signal } : {}) });
          try {
            return readCompletionRows(answer, chunk.end - chunk.start, G);
          } catch (error) {
            throw new RolloutServerError(url, `POST ${url}/v1/completions: ${(error as Error).message}`);
          }
        }),
      );
      request.signal?.throwIfAborted();
      pending = [];
      const failedUrls = new Set<string>();
      results.forEach((result, i) => {
        const { chunk, url } = assigned[i];
        if (result.status === 'fulfilled') {
          result.value.forEach((row, k) => (rows[chunk.start * G + k] = row));
          return;
        }
        const error = result.reason as unknown;
        if (!(error instanceof RolloutServerError)) throw error;
        failedUrls.add(url);
        pending.push(chunk);
        const rest = this.live.filter((u) => u !== url && !failedUrls.has(u));
        this.logger.warn(
          `grpojs: rollout server ${url} failed (${error.message}); ${rest.length > 0 ? `retrying its ${chunk.end - chunk.start} prompt(s) on ${rest.join(', ')}` : 'no other server is left'}; it gets no more requests in this run.`,
        );
      });
      for (const url of failedUrls) this.live.splice(this.live.indexOf(url), 1);
    }
    return {
      completionIds: rows.map((r) => r.tokenIds),
      terminated: rows.map((r) => r.terminated),
      samplerLogProbs: rows.map((r) => r.logProbs),
    };
  }

  async close(): Promise<void> {
    if (this.current !== null) await this.forget(this.current);
    this.current = null;
  }

  /** Runs `fn` on every live server at once; returns the server failures (other errors are thrown). */
  private async onEveryServer(fn: (url: string) => Promise<void>): Promise<{ url: string; error: RolloutServerError }[]> {
    const urls = [...this.live];
    const results = await Promise.allSettled(urls.map((url) => fn(url)));
    const failures: { url: string; error: RolloutServerError }[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      if (!(r.reason instanceof RolloutServerError)) throw r.reason;
      failures.push({ url: urls[i], error: r.reason });
    });
    return failures;
  }

  /** Drops servers that failed `what` with a log line each; throws when none is left. */
  private dropFailed(failures: { url: string; error: RolloutServerError }[], what: string): void {
    for (const { url, error } of failures) {
      this.live.splice(this.live.indexOf(url), 1);
      this.logger.warn(`grpojs: rollout server ${url} failed ${what} (${error.message}); it gets no more requests in this run${this.live.length > 0 ? `; continuing on ${this.live.join(', ')}` : ''}.`);
    }
    if (this.live.length === 0) {
      const how =
        this.options.weightSync === 'lora'
          ? 'vLLM needs --enable-lora, --max-lora-rank >= the LoRA r and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True; a model vLLM cannot serve with LoRA (GPT-2) needs rolloutWeightSync "sglang_merged" with SGLang, or grpojs serve workers'
          : 'SGLang must answer POST /update_weights_from_disk (grpojs serve does too)';
      throw new NoRolloutServerLeftError(`Every rollout server failed ${what} (see the warnings above). Check that they run and can read ${this.options.adapterDir}; ${how} (docs/scale-out.md). Then resume from the last checkpoint.`);
    }
  }
}
