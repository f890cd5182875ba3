/** The default rollout backend: the trained model samples in process (TRL without vLLM). */
import type { PolicyGenerateOptions, PolicyModel } from '../policy-model.js';
import type { RolloutBackend, SampleRequest, SampleResult } from './backend.js';

/** Samples with `model.generate`, one batched call for the whole request. */
export class LocalRollout implements RolloutBackend {
  readonly kind = 'local';

  constructor(private readonly model: Pick<PolicyModel, 'generate'>) {}

  async syncPolicy(): Promise<void> {}

  async sample(request: SampleRequest): Promise<SampleResult> {
    const G = request.numGenerations;
    const rows = request.promptIds.flatMap((ids) => Array.from({ length: G }, () => ids));
    const options: PolicyGenerateOptions = {
      maxNewTokens: request.maxNewTokens,
      eosTokenId: request.eosTokenId,
      padTokenId: request.padTokenId,
      doSample: request.sampling !== null,
      ...(request.signal ? { signal: request.signal } : {}),
    };
    if (request.sampling) {
      options.temperature = request.sampling.temperature;
      options.topP = request.sampling.topP;
      options.topK = request.sampling.topK ?? 0;
      options.seed = request.sampling.seed;
    }
    const out = await this.model.generate(rows, options);
    return { completionIds: out.completionIds, terminated: out.terminated, samplerLogProbs: null };
  }

  async close(): Promise<void> {}
}
