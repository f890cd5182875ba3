/**
 * The server rollout against real `grpojs serve` child processes (the built CLI) on 127.0.0.1:
 * two servers, one SIGKILLed mid-run (after it loaded policy version 2, before that batch is
 * sampled), training finishes on the other; the adapter versions each server loaded are the
 * trainer's steps; with one server, the same seed and temperature sampling, the trained adapter
 * equals the local-rollout run's within float tolerance; and the full-weight path (a merged folder
 * per version through SGLang's /update_weights_from_disk, which grpojs serve also answers).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRPOTrainer, ServerRollout, loadCausalLM, writeTinyGPT2, type GRPOConfigInput, type RolloutBackend } from '../../src/index.js';
import { startServe, type ServeProcess } from './serve-process.js';

const BACKEND = 'wasm' as const;
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const rows = Array.from({ length: 8 }, (_, i) => ({ prompt: `Question ${i}: what is ${i} + ${i + 1}?` }));
// Any reward with variance inside a group: favours completions with many "e"s.
const reward = Object.assign((completions: string[]) => completions.map((c) => (c.match(/e/g) ?? []).length - c.length / 10), { rewardName: 'e_count' });

let modelDir: string;
const servers: ServeProcess[] = [];

beforeAll(async () => {
  modelDir = await writeTinyGPT2(join(tmp('grpojs-serve-model-'), 'tiny'));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.kill()));
});

async function server(): Promise<ServeProcess> {
  const s = await startServe(modelDir, ['--backend', BACKEND]);
  servers.push(s);
  return s;
}

function config(outputDir: string, extra: GRPOConfigInput = {}): GRPOConfigInput {
  return {
    outputDir,
    seed: 7,
    maxSteps: 4,
    perDeviceTrainBatchSize: 1,
    gradientAccumulationSteps: 2,
    numGenerations: 2,
    maxPromptLength: 32,
    maxCompletionLength: 6,
    temperature: 0.9,
    learningRate: 5e-2,
    saveSteps: 0,
    evalSteps: 0,
    loggingSteps: 1,
    logCompletions: false,
    ...extra,
  };
}

async function train(extra: GRPOConfigInput, options: { rollout?: (inner: ServerRollout) => RolloutBackend; warnings?: string[] } = {}) {
  const model = await loadCausalLM(modelDir, { backend: BACKEND, lora: { r: 4, alpha: 8, seed: 3 } });
  const outputDir = tmp('grpojs-serve-run-');
  const c = config(outputDir, extra);
  const logger = { warn: (w: string) => options.warnings?.push(w), info: () => {} };
  let rollout: RolloutBackend | undefined;
  if (options.rollout) {
    const inner = new ServerRollout({ urls: c.rolloutUrls ?? [], model: 'tiny', adapterDir: c.rolloutAdapterDir ?? join(outputDir, 'policy'), weightSync: 'lora', policy: model, requestTimeoutMs: 60_000, loadTimeoutMs: 60_000, logger });
    rollout = options.rollout(inner);
  }
  const trainer = new GRPOTrainer({ model, tokenizer: model.tokenizer!, rewardFunctions: [reward], trainDataset: rows, config: c, logger, ...(rollout ? { rollout } : {}) });
  const result = await trainer.train();
  const weights = model.trainableVariables().map((v) => Float32Array.from(v.dataSync() as Float32Array));
  trainer.dispose();
  model.dispose();
  return { result, weights };
}

// Each test starts servers and trains 4 steps (20–40 s measured on the shared 2-core VM): a wider
// limit than the shared 120 s, so a loaded CI box does not fail them on time alone.
describe('server rollout on grpojs serve processes', { timeout: 360_000 }, () => {
  it('two servers, one killed mid-run: training finishes on the other; the versions each loaded are the trainer\'s steps', async () => {
    const [a, b] = [await server(), await server()];
    const warnings: string[] = [];
    const adapterDir = tmp('grpojs-serve-adapters-');
    const { result } = await train(
      { rolloutKind: 'server', rolloutUrls: [a.url, b.url], rolloutModel: 'tiny', rolloutAdapterDir: adapterDir },
      {
        warnings,
        // Kill b after it loaded version 2, so the batch of step 3 finds it gone while sampling.
        rollout: (inner) => ({
          kind: inner.kind,
          sample: (r) => inner.sample(r),
          close: () => inner.close(),
          syncPolicy: async (version, signal) => {
            await inner.syncPolicy(version, signal);
            if (version === 2) await b.kill();
          },
        }),
      },
    );
    expect(result.completed).toBe(true);
    expect(result.globalStep).toBe(4);
    expect(result.stepMetrics.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    // Version v is the policy after v optimizer steps: step s + 1 samples with policy-s.
    await a.waitForOutput(/loaded adapter \S+ from/, 4);
    await a.waitForOutput(/unloaded adapter/, 4);
    expect(a.loaded()).toEqual(['policy-0', 'policy-1', 'policy-2', 'policy-3']);
    expect(b.loaded()).toEqual(['policy-0', 'policy-1', 'policy-2']);
    expect(warnings.some((w) => w.includes(`rollout server ${b.url} failed`) && w.includes(`retrying its 1 prompt(s) on ${a.url}`))).toBe(true);
    // Every older version was unloaded from the live server.
    expect([...a.output().matchAll(/unloaded adapter (\S+)/g)].map((m) => m[1])).toEqual(['policy-0', 'policy-1', 'policy-2', 'policy-3']);
    for (const m of result.stepMetrics) {
      expect(m['sampling/importance_sampling_ratio/mean']).toBeGreaterThan(0.99);
      expect(m['sampling/importance_sampling_ratio/mean']).toBeLessThan(1.01);
      expect(m['step_time/weight_sync']).toBeGreaterThan(0);
    }
  });

  it('one server, same seed, temperature sampling: the same completions and the same trained adapter as the local rollout', async () => {
    const s = await server();
    const local = await train({});
    const remote = await train({ rolloutKind: 'server', rolloutUrls: [s.url], rolloutModel: 'tiny', rolloutAdapterDir: tmp('grpojs-serve-adapters-') });
    // Identical samples: the rewards of every step match exactly.
    expect(remote.result.stepMetrics.map((m) => m.reward)).toEqual(local.result.stepMetrics.map((m) => m.reward));
    expect(remote.result.stepMetrics.map((m) => m['completions/mean_length'])).toEqual(local.result.stepMetrics.map((m) => m['completions/mean_length']));
    // The weights moved (so the comparison means something) ...
    const moved = Math.max(...local.weights.flatMap((w) => Array.from(w, Math.abs)));
    expect(moved).toBeGreaterThan(1e-3);
    // ... and agree. Why not bit-equal: the server run weights the loss by the importance ratio
    // exp(old − sampler) and its PPO ratio uses old log-probs from a separate no-grad pass, both
    // 1 up to float32 rounding of log-probs computed in two processes (|Δ logp| ~1e-6), so each
    // step's gradient differs by ~1e-6 relative; over 4 Adam steps that stays far below 1e-4.
    let maxDiff = 0;
    local.weights.forEach((w, i) => w.forEach((x, k) => (maxDiff = Math.max(maxDiff, Math.abs(x - remote.weights[i][k])))));
    console.log(`server vs local rollout: max |Δ adapter weight| ${maxDiff.toExponential(2)} (largest weight ${moved.toExponential(2)})`);
    expect(maxDiff).toBeLessThan(1e-4);
    const logpDiff = Math.max(...remote.result.stepMetrics.map((m) => m['sampling/sampling_logp_difference/max'] as number));
    expect(logpDiff).toBeLessThan(1e-4);
  });

  it('a resumed run whose server still has its version loaded unloads and reloads it (no load_inplace), and keeps the server', async () => {
    const s = await server();
    const model = await loadCausalLM(modelDir, { backend: BACKEND, lora: { r: 4, alpha: 8, seed: 3 } });
    const adapterDir = tmp('grpojs-serve-resume-');
    const infos: string[] = [];
    const rollout = () => new ServerRollout({ urls: [s.url], model: 'tiny', adapterDir, weightSync: 'lora', policy: model, requestTimeoutMs: 60_000, loadTimeoutMs: 60_000, logger: { warn: (w) => infos.push(`warn ${w}`), info: (i) => infos.push(i) } });
    await rollout().syncPolicy(2); // the run that stopped: never unloaded policy-2
    const resumed = rollout();
    await resumed.syncPolicy(2);
    expect(resumed.servers).toEqual([s.url]);
    expect(infos).toEqual([`grpojs: rollout server ${s.url} still had policy-2 loaded; replacing it with ${join(adapterDir, 'policy-2')}.`]);
    await s.waitForOutput(/loaded adapter \S+ from/, 2);
    await s.waitForOutput(/unloaded adapter/, 1);
    expect(s.loaded()).toEqual(['policy-2', 'policy-2']);
    expect([...s.output().matchAll(/unloaded adapter (\S+)/g)].map((m) => m[1])).toEqual(['policy-2']);
    await resumed.close();
    model.dispose();
  });

  it('sglang_merged: a merged full-weight folder per version, loaded with /update_weights_from_disk; the servers sample from the trainer\'s distribution', async () => {
    const s = await server();
    const adapterDir = tmp('grpojs-serve-merged-');
    const warnings: string[] = [];
    const { result } = await train({ rolloutKind: 'server', rolloutUrls: [s.url], rolloutModel: 'tiny', rolloutAdapterDir: adapterDir, rolloutWeightSync: 'sglang_merged' }, { warnings }).catch((error: unknown) => {
      throw new Error(`${String(error)}\nwarnings:\n${warnings.join('\n')}\nserver output:\n${s.output()}`);
    });
    expect(result.completed).toBe(true);
    await s.waitForOutput(/updated weights from/, 4);
    const updates = [...s.output().matchAll(/updated weights from (\S+)/g)].map((m) => m[1]);
    expect(updates).toEqual([0, 1, 2, 3].map((v) => join(adapterDir, `policy-${v}`)));
    expect(s.loaded()).toEqual([]); // no adapter: requests name the base model
    // Merged weights compute the same distribution as base + LoRA up to float32 rounding.
    for (const m of result.stepMetrics) expect(m['sampling/sampling_logp_difference/max']).toBeLessThan(1e-3);
  });
});
