import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type GPT2Config,
  type HostTensor,
  type LlamaConfig,
  loadCausalLM,
  makeGPT2Config,
  makeLlamaConfig,
  randomGPT2Tensors,
  randomLlamaTensors,
  saveHFModel,
  saveLlamaModel,
  tf,
} from '@grpojs/model';
import { afterAll, describe, expect, it } from 'vitest';
import { ANCHOR_SCRIPT, AnchorOutputError, type AnchorResult, anchorConfigJson, anchorPython, parseAnchorOutput, probeAnchor } from '../src/anchor.js';
import { anchorNotes, anchorTable, ratioCell } from '../src/report.js';
import type { ConfigResult } from '../src/run-config.js';

const run = promisify(execFile);

const median = { rollout: 4, reference: 1, training: 3, optimizer: 0.01, total: 8.01 };
const anchorJson = {
  anchor: 'torch',
  torch: '1.13.0',
  threads: 2,
  checkpointing: true,
  runs: [{ ...median, cpu: median }],
  median: { ...median, cpu: median },
  rolloutTokensPerSecond: 256,
  trainingTokensPerSecond: 682.7,
  loadavgBefore: [1, 1, 1],
  loadavgAfter: [2, 1, 1],
};

describe('parseAnchorOutput', () => {
  it('reads the medians, speeds, threads and run count', () => {
    const a = parseAnchorOutput(`${JSON.stringify(anchorJson)}\n`);
    expect(a.median).toEqual({ rollout: 4, reference: 1, training: 3, optimizer: 0.01, total: 8.01 });
    expect([a.threads, a.runs, a.checkpointing, a.rolloutTokensPerSecond, a.torch]).toEqual([2, 1, true, 256, '1.13.0']);
  });

  it('names the field that is missing or not a positive number', () => {
    expect(() => parseAnchorOutput('Traceback (most recent call last)')).toThrow(AnchorOutputError);
    expect(() => parseAnchorOutput('Traceback')).toThrow(/not JSON/);
    expect(() => parseAnchorOutput(JSON.stringify({ ...anchorJson, median: undefined }))).toThrow(/median is missing/);
    expect(() => parseAnchorOutput(JSON.stringify({ ...anchorJson, median: { ...median, training: 0 } }))).toThrow(/median\.training should be a positive number, got 0/);
    expect(() => parseAnchorOutput(JSON.stringify({ ...anchorJson, rolloutTokensPerSecond: null }))).toThrow(/rolloutTokensPerSecond/);
    expect(() => parseAnchorOutput(JSON.stringify({ ...anchorJson, runs: [] }))).toThrow(/runs should be a non-empty array/);
  });

  it('takes the GRPOJS_BENCH_PYTHON the CLI passes, else /usr/bin/python3', () => {
    expect(anchorPython({ GRPOJS_BENCH_PYTHON: '/opt/venv/bin/python' })).toBe('/opt/venv/bin/python');
    expect(anchorPython({})).toBe('/usr/bin/python3');
  });
});

describe('ratio table', () => {
  it('says how many times faster or slower grpojs is, for rates and durations', () => {
    expect(ratioCell(9.4, 31.8, false)).toBe('3.4× faster');
    expect(ratioCell(20, 10, false)).toBe('2.0× slower');
    expect(ratioCell(300, 100, true)).toBe('3.0× faster');
    expect(ratioCell(50, 100, true)).toBe('2.0× slower');
    expect(ratioCell(24.31, 23.84, false)).toBe('1.0× (level)');
    expect(ratioCell(1, 0, true)).toBe('n/a');
  });

  it('puts each configuration beside its model anchor and labels NF4 against the fp32 anchor', () => {
    const result = (quant: 'none' | 'nf4') =>
      ({
        config: { model: 'smollm2-135m', quant },
        backend: { backend: 'wasm', accel: true, blasThreads: 2 },
        median: { rollout: 2, reference: 0.5, training: 1.5, optimizer: 0.01, total: 4.01 },
        rolloutTokensPerSecond: 512,
        trainingTokensPerSecond: 1365.3,
      }) as unknown as ConfigResult;
    const anchor = parseAnchorOutput(JSON.stringify(anchorJson));
    const lines = anchorTable([result('none'), result('nf4'), { ...result('none'), config: { model: 'distilgpt2' } } as ConfigResult], { 'smollm2-135m': anchor }).split('\n');
    expect(lines).toHaveLength(4); // header, rule, two smollm2 rows; distilgpt2 has no anchor
    const cells = (line: string) => line.split('|').slice(1, -1).map((c) => c.trim());
    expect(cells(lines[0])).toEqual(['model', 'base', 'threads (ours/torch)', 'rollout tok/s', 'torch', 'ratio', 'ref s', 'torch', 'ratio', 'train tok/s', 'torch', 'ratio', 'step s', 'torch', 'ratio']);
    expect(cells(lines[2])).toEqual(['smollm2-135m', 'fp32', '2/2', '512.0', '256.0', '2.0× faster', '0.50 s', '1.00 s', '2.0× faster', '1365.3', '682.7', '2.0× faster', '4.01 s', '8.01 s', '2.0× faster']);
    expect(cells(lines[3])[1]).toBe('nf4 (torch: fp32)');
    expect(anchorNotes({ 'smollm2-135m': anchor, distilgpt2: undefined })).toBe('smollm2-135m: torch 1.13.0, 2 threads, OMP_WAIT_POLICY default, checkpointing, median of 1 run, load 1.0→2.0');
  });
});

// The anchor itself needs torch; where it does not import, these tests say why and skip.
const python = anchorPython(process.env);
const probe = await probeAnchor(python);
if (!probe.ok) console.warn(`anchor tests skipped: ${probe.reason}`);

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'grpojs-anchor-test-'));
  dirs.push(d);
  return d;
}

describe.skipIf(!probe.ok)('torch anchor (tiny shapes)', () => {
  it('runs every phase of the step and reports positive times and speeds', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'config.json'), JSON.stringify(anchorConfigJson('tiny')));
    const { stdout } = await run(python, [ANCHOR_SCRIPT, '--config', join(dir, 'config.json'), '--rows', '4', '--prompt-tokens', '8', '--new-tokens', '8', '--runs', '2', '--threads', '1']);
    const a: AnchorResult = parseAnchorOutput(stdout);
    expect(a.runs).toBe(2);
    for (const v of Object.values(a.median)) expect(v).toBeGreaterThan(0);
    expect(a.rolloutTokensPerSecond).toBeGreaterThan(0);
    expect(a.trainingTokensPerSecond).toBeGreaterThan(0);
  }, 60_000);

  // The anchor must compute the same model as grpojs: per-token log-probs of one fixed sequence
  // under a tiny random checkpoint (written by @grpojs/model, read by the anchor's own safetensors
  // reader). The random init's std (0.02) is scaled ×10 so that the logits are far from uniform
  // and a wrong detail (GELU variant, rotary angles, GQA grouping) moves the log-probs by ≫ 1e-4.
  const sharpen = (tensors: Map<string, HostTensor>) => {
    for (const [name, t] of tensors) if (!/norm|ln_/.test(name)) t.data = t.data.map((v) => v * 10);
    return tensors;
  };
  const llama = (overrides: Partial<LlamaConfig> & Pick<LlamaConfig, 'family'>): LlamaConfig =>
    makeLlamaConfig({
      vocabSize: 97, hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2,
      maxPositionEmbeddings: 64, rmsNormEps: 1e-6, ropeTheta: 1000000, tieWordEmbeddings: true, bosTokenId: 0, eosTokenIds: [0], ...overrides,
    });
  const gpt2: GPT2Config = makeGPT2Config({ vocabSize: 97, nLayer: 2, nEmbd: 32, nHead: 4, nPositions: 64 });
  const checkpoints = {
    gpt2: (dir: string) => saveHFModel(dir, { config: gpt2, tensors: sharpen(randomGPT2Tensors(gpt2, 11)) }),
    qwen2: (dir: string) => {
      const config = llama({ family: 'qwen2' });
      return saveLlamaModel(dir, { config, tensors: sharpen(randomLlamaTensors(config, 11)) });
    },
    llama: (dir: string) => {
      const config = llama({ family: 'llama', hiddenSize: 48, numAttentionHeads: 6, rmsNormEps: 1e-5, ropeTheta: 100000 });
      return saveLlamaModel(dir, { config, tensors: sharpen(randomLlamaTensors(config, 11)) });
    },
  };
  it.each(Object.keys(checkpoints) as (keyof typeof checkpoints)[])('gives the log-probs grpojs gives for a %s checkpoint (within 1e-4)', async (family) => {
    const dir = await tempDir();
    await checkpoints[family](dir);
    const prompt = [[5, 17, 42, 3, 88, 9], [60, 2, 2, 71, 30, 14]];
    const completion = [[7, 96, 1, 50, 23], [11, 0, 45, 45, 8]];
    const lm = await loadCausalLM(dir);
    const out = lm.tokenLogProbs(prompt, completion);
    const ours = (await out.logProbs.array()) as number[][];
    tf.dispose([out.logProbs, out.mask]);
    lm.dispose();
    const { stdout } = await run(python, [ANCHOR_SCRIPT, '--checkpoint', dir, '--threads', '1', '--logprobs', JSON.stringify({ prompt, completion })]);
    const { logProbs, cachedLogProbs } = JSON.parse(stdout) as { logProbs: number[][]; cachedLogProbs: number[][] };
    // The training/reference path (one forward) and the rollout's (prefill + KV-cached steps).
    for (const torch of [logProbs, cachedLogProbs]) {
      expect(torch.length).toBe(2);
      for (let r = 0; r < 2; r++) {
        for (let t = 0; t < completion[r].length; t++) expect(Math.abs(torch[r][t] - ours[r][t])).toBeLessThan(1e-4);
      }
    }
    // Far from uniform (−log 97 ≈ −4.57 everywhere), so the comparison is of real, position-dependent values.
    const flat = ours.flat();
    expect(Math.max(...flat) - Math.min(...flat)).toBeGreaterThan(1);
  }, 60_000);
});
