/**
 * Keeps secrets out of everything a run writes or prints: run names (the run directory's name,
 * config.json, the console, W&B), config dumps (config.json, report.html, W&B config, grpojs's
 * report.json), warnings, log lines and error messages. This file is the one redaction: every
 * sink passes its text through `redactText`, its configs through `redactConfig`, its line
 * callbacks through `redactLines`/`redactLogger`, with the secrets from `knownSecrets` plus any the
 * caller passes (a token given as an option).
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

/** `sink` with every line passed through {@link redactText} first (a Warn, an info callback, a stream write). */
export function redactLines(sink: (line: string) => void, secrets: readonly (string | undefined)[]): (line: string) => void {
  return (line) => sink(redactText(line, secrets));
}

/** A logger whose string arguments are redacted before `logger` sees them. */
export function redactLogger<L extends Pick<Console, 'info' | 'warn'>>(logger: L, secrets: readonly (string | undefined)[]): Pick<Console, 'info' | 'warn'> {
  const clean = (args: unknown[]) => args.map((arg) => (typeof arg === 'string' ? redactText(arg, secrets) : arg instanceof Error ? redactText(arg.message, secrets) : arg));
  return {
    info: (...args: unknown[]) => logger.info(...clean(args)),
    warn: (...args: unknown[]) => logger.warn(...clean(args)),
  };
}
