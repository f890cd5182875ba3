/**
 * In-process A/B of the rollout alone (CausalLM.generate on the work unit: 8 rows × 128 prompt
 * tokens, 128 new tokens, temperature 0.9, distilgpt2 with LoRA r16 on c_attn): the native decode
 * engine (@grpojs/accel) against the tfjs decode steps, alternating so both see the same machine
 * load; --model smollm2-135m / qwen2.5-0.5b runs the Llama-family engine on that shape instead.
 * load. Also times a 1-token generate (prefill + weight packing) to give the ms per decode step.
 * With --quant nf4 a third path, native-fp32, runs the engine with the frozen NF4 projections as
 * fp32 panels (the runtime option nativeDecodeNf4Codes: false) instead of codes (switching re-packs them, in the warm-up).
 * `pnpm build && node dist/decode-ab.js [--model smollm2-135m] [--quant nf4] [--runs 2]`, under flock /tmp/bench.lock.
 */
import { loadavg } from 'node:os';
import { initRuntime } from '@grpojs/model';
import { benchRuntimeOptions, loadBenchModel, setupBackend, WORK_UNIT } from './setup.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const quant = arg('quant', 'none') as 'none' | 'nf4';
const runs = Number(arg('runs', '2'));
const model = arg('model', 'distilgpt2') as 'distilgpt2' | 'smollm2-135m' | 'qwen2.5-0.5b';
const config = { model, quant, accel: true, runs: 1, profile: false, microBatch: 2, checkpointing: false };
await setupBackend(config);
const bench = await loadBenchModel(config);
const { lm } = bench;
const prompts = Array.from({ length: WORK_UNIT.sequences }, (_, r) =>
  Array.from({ length: WORK_UNIT.promptTokens }, (_, t) => (r * 7919 + t * 104729) % (lm.config.vocabSize - 1)),
);
const generate = (maxNewTokens: number, seed: number) =>
  lm.generate(prompts, { maxNewTokens, temperature: 0.9, eosTokenId: [], padTokenId: lm.model.dims.eosTokenIds[0], seed });

type Path = 'native' | 'native-fp32' | 'tfjs';
const paths: Path[] = quant === 'nf4' ? ['native', 'native-fp32', 'tfjs'] : ['native', 'tfjs'];

async function time(path: Path, maxNewTokens: number, seed: number): Promise<{ ms: number; cpuMs: number; tokens: number[][] }> {
  await initRuntime({ ...benchRuntimeOptions(config, { nativeDecode: path !== 'tfjs', nativeDecodeNf4Codes: path !== 'native-fp32' }), log: () => {} });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await generate(maxNewTokens, seed);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1e3, tokens: out.completionIds };
}

console.log(`model ${model}, quant ${quant}; load before ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const path of paths) {
  await time(path, 2, 1); // warm: engine created, frozen weights packed (as codes or panels)
}
const best: Record<string, { full: number; prefill: number; cpu: number }> = {};
for (let run = 0; run < runs; run++) {
  for (const path of paths) {
    const prefill = await time(path, 1, 7);
    const full = await time(path, WORK_UNIT.newTokens, 7);
    const b = (best[path] ??= { full: Infinity, prefill: Infinity, cpu: Infinity });
    b.full = Math.min(b.full, full.ms);
    b.prefill = Math.min(b.prefill, prefill.ms);
    b.cpu = Math.min(b.cpu, full.cpuMs);
    console.log(`run ${run} ${path}: rollout ${full.ms.toFixed(0)} ms (cpu ${full.cpuMs.toFixed(0)} ms), 1-token generate ${prefill.ms.toFixed(0)} ms, load ${loadavg()[0].toFixed(2)}`);
  }
}
const tokens = WORK_UNIT.sequences * WORK_UNIT.newTokens;
for (const [path, b] of Object.entries(best)) {
  const step = (b.full - b.prefill) / (WORK_UNIT.newTokens - 1);
  console.log(`${path}: best rollout ${b.full.toFixed(0)} ms = ${((tokens / b.full) * 1e3).toFixed(0)} tokens/s; ${step.toFixed(1)} ms per decode step (incl. sampling); prefill+pack ${b.prefill.toFixed(0)} ms; cpu ${b.cpu.toFixed(0)} ms`);
}
const reference = JSON.stringify((await time('tfjs', 16, 3)).tokens);
for (const path of paths.filter((p) => p !== 'tfjs')) {
  const same = JSON.stringify((await time(path, 16, 3)).tokens) === reference;
  console.log(`sampled tokens ${path} = tfjs (16 tokens, seed 3): ${same}`);
}
console.log(`load after ${loadavg()[0].toFixed(2)}`);
await bench.dispose();
