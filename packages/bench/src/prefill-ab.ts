/**
 * In-process A/B of generate's prompt dedup (`dedupPrompts`) on the GRPO work unit (grpo-step.ts's
 * prompts: 4 prompts × 2 generations in adjacent rows, 128 tokens each; 128 new tokens,
 * temperature 0.9, distilgpt2 with LoRA r16 on c_attn): dedup on against off, alternating so both
 * see the same machine load, for the rollout and a 1-token generate (the prefill and the LoRA
 * packing); then checks that both give the same sampled tokens. decode-ab.ts cannot show it: its
 * 8 prompts are distinct. `pnpm build && node dist/prefill-ab.js [--runs 2] [--tfjs]` (--tfjs: the
 * tfjs decode steps instead of the native engine), under flock /tmp/bench.lock.
 */
import { loadavg } from 'node:os';
import { makePrompts } from './grpo-step.js';
import { loadBenchModel, setupBackend, WORK_UNIT } from './setup.js';

const i = process.argv.indexOf('--runs');
const runs = i >= 0 ? Number(process.argv[i + 1] ?? '2') : 2;
const config = { model: 'distilgpt2' as const, quant: 'none' as const, accel: true, runs: 1, profile: false, microBatch: 2, checkpointing: false };
await setupBackend(config, process.argv.includes('--tfjs') ? { nativeDecode: false } : {});
const bench = await loadBenchModel(config);
const { lm } = bench;
const prompts = makePrompts(lm.config.vocabSize);
const load = (): string => loadavg()[0].toFixed(2);

async function time(dedup: boolean, maxNewTokens: number, seed: number): Promise<{ ms: number; cpuMs: number; tokens: number[][] }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await lm.generate(prompts, { maxNewTokens, temperature: 0.9, eosTokenId: [], padTokenId: lm.model.dims.eosTokenIds[0], seed, dedupPrompts: dedup });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1e3, tokens: out.completionIds };
}

console.log(`${await lm.decodePath()}; ${prompts.length} rows, ${new Set(prompts.map((p) => p.join(','))).size} distinct prompts; load before ${load()}`);
await time(true, 2, 1); // warm: engine created, frozen weights packed
await time(false, 2, 1);
const best: Record<string, { full: number; prefill: number; prefillCpu: number; cpu: number }> = {};
for (let run = 0; run < runs; run++) {
  for (const dedup of [true, false]) {
    const prefill = await time(dedup, 1, 7);
    const full = await time(dedup, WORK_UNIT.newTokens, 7);
    const b = (best[`dedup ${dedup ? 'on ' : 'off'}`] ??= { full: Infinity, prefill: Infinity, prefillCpu: Infinity, cpu: Infinity });
    b.full = Math.min(b.full, full.ms);
    b.prefill = Math.min(b.prefill, prefill.ms);
    b.prefillCpu = Math.min(b.prefillCpu, prefill.cpuMs);
    b.cpu = Math.min(b.cpu, full.cpuMs);
    console.log(`run ${run} dedup ${dedup ? 'on ' : 'off'}: rollout ${full.ms.toFixed(0)} ms (cpu ${full.cpuMs.toFixed(0)} ms), 1-token generate ${prefill.ms.toFixed(0)} ms (cpu ${prefill.cpuMs.toFixed(0)} ms), load ${load()}`);
  }
}
for (const [name, b] of Object.entries(best)) {
  console.log(`${name}: best rollout ${b.full.toFixed(0)} ms (cpu ${b.cpu.toFixed(0)} ms); best 1-token generate ${b.prefill.toFixed(0)} ms (cpu ${b.prefillCpu.toFixed(0)} ms)`);
}
const same = JSON.stringify((await time(true, 16, 3)).tokens) === JSON.stringify((await time(false, 16, 3)).tokens);
console.log(`sampled tokens dedup on = off (16 tokens, seed 3): ${same}; load after ${load()}`);
await bench.dispose();
