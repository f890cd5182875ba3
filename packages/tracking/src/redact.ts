/**
 * Keeps secrets out of everything tracking writes or prints: config files, W&B config, SDK output,
 * warnings. The W&B API key must never land in a log, so every text we did not author (SDK output,
 * error messages) goes through `redactText`, and every config through `redactConfig`.
 */

const SECRET_PARTS = ['apikey', 'secret', 'password', 'passwd', 'authorization', 'credential'];
// Only tokens that are credentials: `hfToken` is a secret, `padTokenId` and `maxNewTokens` are not.
const SECRET_TOKENS = ['token', 'accesstoken', 'authtoken', 'hftoken', 'hubtoken', 'apitoken', 'bearertoken', 'refreshtoken'];

/** Whether a config field name looks like it holds a credential (case, `_` and `-` ignored). */
function isSecretName(name: string): boolean {
  const flat = name.toLowerCase().replace(/[_-]/g, '');
  return SECRET_PARTS.some((part) => flat.includes(part)) || SECRET_TOKENS.includes(flat);
}
const REDACTED = '[redacted]';

/**
 * A deep copy of `value` where every field whose name looks like a credential is replaced by
 * "[redacted]", and every occurrence of one of `secrets` inside a string value is too (a key kept
 * under an innocent name).
 */
export function redactConfig<T>(value: T, secrets: readonly (string | undefined)[] = []): T {
  return walk(value, secrets) as T;
}

function walk(value: unknown, secrets: readonly (string | undefined)[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((inner) => walk(inner, secrets));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = isSecretName(key) && inner !== null && inner !== undefined && inner !== '' ? REDACTED : walk(inner, secrets);
    }
    return out;
  }
  return value;
}

/** The values of the credential variables this package knows about, to redact wherever they appear. */
export function knownSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env.WANDB_API_KEY, env.HF_TOKEN, env.HUGGING_FACE_HUB_TOKEN].filter((v): v is string => v !== undefined && v !== '');
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
