/**
 * Keeps secrets out of everything tracking writes or prints: config files, W&B config, SDK output,
 * warnings. The W&B API key must never land in a log, so every text we did not author (SDK output,
 * error messages) goes through `redactText`, and every config through `redactConfig`.
 */

const SECRET_NAME = /(api[_-]?key|token|secret|password|passwd|authorization|credential)/i;
const REDACTED = '[redacted]';

/** A deep copy of `value` where every field whose name looks like a secret is replaced by "[redacted]". */
export function redactConfig<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(walk);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = SECRET_NAME.test(key) && inner !== null && inner !== undefined && inner !== '' ? REDACTED : walk(inner);
    }
    return out;
  }
  return value;
}

/**
 * `text` with every occurrence of each secret removed, including the HTTP Basic form
 * (`base64("api:" + key)`) the W&B SDK sends. Secrets shorter than 4 characters are ignored (they
 * would redact ordinary words).
 */
export function redactText(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === undefined || secret.length < 4) continue;
    const forms = [secret, Buffer.from(`api:${secret}`).toString('base64')];
    for (const form of forms) out = out.split(form).join(REDACTED);
  }
  return out;
}
