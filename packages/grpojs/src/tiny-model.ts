/**
 * A loadable random GPT-2 folder for smoke runs, examples and tests: config.json +
 * model.safetensors (deterministic random weights from @grpojs/model) + the embedded GPT-2
 * tokenizer files, so `loadCausalLM(dir)` works with no download. Any size can be written,
 * distilgpt2's included; the vocabulary is GPT-2's so the real tokenizer fits.
 */
import { embeddedGPT2Tokenizer, makeGPT2Config, writeRandomGPT2Checkpoint } from '@grpojs/model';

/** Size of the random model; everything else is GPT-2's default. */
export interface TinyGPT2Options {
  /** Transformer blocks. Default 2. */
  nLayer?: number;
  /** Attention heads (must divide nEmbd). Default 2. */
  nHead?: number;
  /** Hidden size. Default 32 (a multiple of 64 / 3C keeps NF4 blocks whole). */
  nEmbd?: number;
  /** Context length. Default 256. */
  nPositions?: number;
  /** Seed of the deterministic init. Default 0. */
  seed?: number;
}

/**
 * Writes a random GPT-2 checkpoint with the GPT-2 tokenizer into `dir` and returns `dir`.
 * @example await writeTinyGPT2('models/tiny'); const model = await loadCausalLM('models/tiny');
 */
export async function writeTinyGPT2(dir: string, options: TinyGPT2Options = {}): Promise<string> {
  const { nLayer = 2, nHead = 2, nEmbd = 32, nPositions = 256, seed = 0 } = options;
  if (nEmbd % nHead !== 0) throw new RangeError(`writeTinyGPT2: nHead (${nHead}) must divide nEmbd (${nEmbd}).`);
  const tokenizer = await embeddedGPT2Tokenizer();
  const config = makeGPT2Config({ nLayer, nHead, nEmbd, nPositions, vocabSize: tokenizer.vocabSize });
  await writeRandomGPT2Checkpoint(dir, config, seed);
  await tokenizer.save(dir);
  return dir;
}
