/**
 * The parts of a model folder's `generation_config.json` that change what `generate` does by
 * default: its EOS ids (Llama 3 Instruct lists several; transformers stops at any of them) and pad.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelConfigError } from './errors.js';

/** Defaults read from generation_config.json; a field is absent when the file does not set it. */
export interface GenerationDefaults {
  eosTokenIds?: number[];
  padTokenId?: number;
}

const isTokenId = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/**
 * Reads `<dir>/generation_config.json`; an absent file gives `{}`.
 * @throws ModelConfigError naming the file and field when it is not JSON or an id is invalid.
 */
export async function readGenerationDefaults(dir: string): Promise<GenerationDefaults> {
  const file = join(dir, 'generation_config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ModelConfigError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, file);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ModelConfigError(`${file}: not valid JSON (${(error as Error).message}).`, file);
  }
  const out: GenerationDefaults = {};
  const eos = json.eos_token_id;
  if (eos !== undefined && eos !== null) {
    const ids = ([] as unknown[]).concat(eos);
    if (ids.length === 0 || !ids.every(isTokenId)) {
      throw new ModelConfigError(`${file}: field "eos_token_id" = ${JSON.stringify(eos)} must be a token id or a non-empty list of them.`, file);
    }
    out.eosTokenIds = ids as number[];
  }
  const pad = json.pad_token_id;
  if (pad !== undefined && pad !== null) {
    if (!isTokenId(pad)) throw new ModelConfigError(`${file}: field "pad_token_id" = ${JSON.stringify(pad)} must be a token id.`, file);
    out.padTokenId = pad;
  }
  return out;
}
