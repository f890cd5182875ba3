/** The model trained from scratch: a small random Llama with the character-level tokenizer. */
import { loadTokenizer, makeLlamaConfig, randomLlamaTensors, saveLlamaModel } from 'grpojs';
import { writeCharTokenizer } from './tokenizer-files.js';

/** Size of the model. */
export interface TinyLlamaShape {
  hiddenSize: number;
  layers: number;
  heads: number;
}

/**
 * Std of the output head. Full fine-tuning trains the projections only (embeddings, norms and the
 * head stay as initialized), and the final norm gives hidden states of RMS ≈ 1, so the head's scale
 * bounds how confident the model can ever be: at the usual 0.02 a 128-wide model tops out near
 * logit 2.6 (about 12% on the best of 101 tokens), at 0.1 near 13.
 */
const HEAD_STD = 0.1;
const INIT_STD = 0.02;

/** Writes config.json, model.safetensors and the tokenizer files of a random Llama into `dir`. */
export async function writeTinyCharLlama(dir: string, shape: TinyLlamaShape, seed: number): Promise<void> {
  await writeCharTokenizer(dir);
  const tokenizer = await loadTokenizer(dir);
  const config = makeLlamaConfig({
    family: 'llama',
    vocabSize: tokenizer.vocabSize,
    hiddenSize: shape.hiddenSize,
    intermediateSize: 2 * shape.hiddenSize,
    numHiddenLayers: shape.layers,
    numAttentionHeads: shape.heads,
    numKeyValueHeads: shape.heads,
    maxPositionEmbeddings: 512,
    // Untied: the output head is its own matrix, so the frozen random input embedding and the
    // frozen random head are two fixed random projections the trained layers adapt to.
    tieWordEmbeddings: false,
    bosTokenId: null,
    eosTokenIds: [tokenizer.eosTokenId],
  });
  const tensors = randomLlamaTensors(config, seed);
  const head = tensors.get('lm_head.weight');
  if (!head) throw new Error('writeTinyCharLlama: the random Llama has no lm_head.weight (tieWordEmbeddings must be false).');
  head.data.forEach((x, i) => (head.data[i] = (x * HEAD_STD) / INIT_STD));
  await saveLlamaModel(dir, { config, tensors, tokenizer });
}
