/**
 * The secrets a job must never write or print, for @grpojs/tracking's redaction (the one used at
 * every sink): the W&B API key and the hub token, from the environment, `.env` once loaded, or the
 * token file `huggingface-cli login` writes.
 */
import { hubToken } from '@grpojs/data';
import { knownSecrets } from '@grpojs/tracking';

/** The values of WANDB_API_KEY, HF_TOKEN, HUGGING_FACE_HUB_TOKEN and the hub token file, as they are now. */
export function jobSecrets(): string[] {
  let token: string | undefined;
  try {
    token = hubToken();
  } catch {
    // An unreadable token file is for the hub download to report; it holds no secret we could leak.
    token = undefined;
  }
  return [...knownSecrets(), ...(token !== undefined ? [token] : [])];
}
