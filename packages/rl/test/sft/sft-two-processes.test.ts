/**
 * Same seed → same numbers across processes: two SFT runs of one tiny random Llama (full fine-tuning
 * on the real runtime, BLAS and native kernels included), started at the same time in two node
 * processes so that their threads interleave differently, give bit-identical losses, gradient norms
 * and trained weights. A reduction whose order follows thread scheduling, an uninitialised buffer or
 * a racy work split shows up here as a difference in the last bits.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadTokenizer, makeLlamaConfig, writeRandomLlamaCheckpoint } from '@grpojs/model';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./sft-run-child.mjs', import.meta.url));

/** A byte-level BPE with no merges: one token per printable ASCII character, plus the EOS. */
async function writeCharTokenizer(dir: string): Promise<void> {
  const chars = [' ', ...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i))];
  const vocab: Record<string, number> = Object.fromEntries(chars.map((c, i) => [c === ' ' ? 'Ġ' : c, i]));
  const eos = { id: chars.length, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  vocab[eos.content] = eos.id;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify({ version: '1.0', truncation: null, padding: null, added_tokens: [eos], normalizer: null, pre_tokenizer: byteLevel, post_processor: null, decoder: byteLevel, model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: [] } }));
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: eos.content, pad_token: eos.content, model_max_length: 512, tokenizer_class: 'PreTrainedTokenizerFast' }));
}

describe('SFT determinism across processes', () => {
  let root = '';
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('two processes with the same seed, run at once, give bit-identical losses, grad norms and weights', async () => {
    root = await mkdtemp(join(tmpdir(), 'grpojs-sft-two-processes-'));
    const modelDir = join(root, 'model');
    await writeCharTokenizer(modelDir);
    const tokenizer = await loadTokenizer(modelDir);
    const config = makeLlamaConfig({ family: 'llama', vocabSize: tokenizer.vocabSize, hiddenSize: 128, intermediateSize: 512, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 4, maxPositionEmbeddings: 128, tieWordEmbeddings: false, bosTokenId: null, eosTokenIds: [tokenizer.eosTokenId] });
    await writeRandomLlamaCheckpoint(modelDir, config, 11, tokenizer);
    const steps = 6;
    const [a, b] = await Promise.all(['a', 'b'].map((name) => run(process.execPath, [child, modelDir, join(root, name), String(steps)], { maxBuffer: 1 << 20 })));
    const [ra, rb] = [a, b].map((r) => JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as { steps: { loss: number; gradNorm: number }[]; weights: string });
    expect(ra.steps).toHaveLength(steps);
    // The run trains (the comparison is not between two idle models).
    expect(ra.steps.every((s) => Number.isFinite(s.loss) && s.gradNorm > 0)).toBe(true);
    expect(ra.steps[steps - 1].loss).toBeLessThan(ra.steps[0].loss);
    // Bit-identical: toEqual on doubles compares exactly.
    expect(rb.steps).toEqual(ra.steps);
    expect(rb.weights).toBe(ra.weights);
  }, 180_000);
});
