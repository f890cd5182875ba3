/**
 * Turns the config schema into field descriptions for `--help` and docs/configuration.md, so the
 * documentation is generated from the same schema that validates configs and cannot drift from it.
 */
import type { z } from 'zod';
import { GRPOConfigSchema } from './config.js';

/** One documented config field. */
export interface ConfigFieldDoc {
  /** camelCase name used in grpojs configs. */
  name: string;
  /** TRL GRPOConfig python name, or null when TRL has no such option. */
  trlName: string | null;
  /** Human-readable type, e.g. `number`, `"linear" | "cosine"`, `number | null`. */
  type: string;
  /** The resolved default value. */
  defaultValue: unknown;
  /** Help text without the trailing `(TRL: …)` part. */
  description: string;
}

const TRL_SUFFIX = /\s*\(TRL: ([^)]*)\)\s*$/;

/** Describes a zod type in a few words (only the shapes the config schema uses). */
function typeName(schema: z.ZodType): string {
  const def = schema._zod.def as unknown as {
    type: string;
    innerType?: z.ZodType;
    out?: z.ZodType;
    element?: z.ZodType;
    entries?: Record<string, string>;
  };
  switch (def.type) {
    case 'default':
    case 'prefault':
      return typeName(def.innerType as z.ZodType);
    case 'nullable':
      return `${typeName(def.innerType as z.ZodType)} | null`;
    case 'pipe':
      return typeName(def.out as z.ZodType);
    case 'array':
      return `${typeName(def.element as z.ZodType)}[]`;
    case 'enum':
      return Object.values(def.entries ?? {}).map((v) => JSON.stringify(v)).join(' | ');
    default:
      return def.type;
  }
}

/** Every config field in schema order, with its TRL name, type, default and help text. */
export function describeGRPOConfig(): ConfigFieldDoc[] {
  const defaults = GRPOConfigSchema.parse({}) as Record<string, unknown>;
  return Object.entries(GRPOConfigSchema.shape).map(([name, field]) => {
    const text = (field as z.ZodType).description ?? '';
    const match = TRL_SUFFIX.exec(text);
    // "(TRL: name)", "(TRL: name, a note)" or "(TRL: none; a note)".
    const [head, ...rest] = (match ? match[1] : 'none').split(/[,;]/);
    const trlName = head.trim() === 'none' ? null : head.trim();
    const note = rest.join(',').trim();
    const base = (match ? text.slice(0, match.index) : text).trim();
    return {
      name,
      trlName,
      type: typeName(field as z.ZodType),
      defaultValue: defaults[name],
      description: note ? `${base} (${trlName === null ? note : `TRL ${trlName}: ${note}`})` : base,
    };
  });
}

/** The markdown table of docs/configuration.md (one row per field). */
export function renderConfigMarkdownTable(): string {
  const rows = describeGRPOConfig().map((f) => {
    const trl = f.trlName === null ? '—' : `\`${f.trlName}\``;
    const cell = (s: string) => s.replace(/\|/g, '\\|');
    return `| \`${f.name}\` | ${trl} | ${cell(f.type)} | \`${JSON.stringify(f.defaultValue)}\` | ${cell(f.description)} |`;
  });
  return ['| field | TRL name | type | default | description |', '|---|---|---|---|---|', ...rows].join('\n');
}
