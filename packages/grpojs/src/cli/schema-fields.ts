/**
 * Reads a zod object schema as a list of plain field descriptions (kind, choices, nullability,
 * default, help text), so CLI flags and `--help` are generated from the same schemas that validate
 * configs and can never drift from them. Only the zod shapes our config schemas use are handled;
 * anything else is reported as kind "unsupported" and a test fails on it.
 */
import type { z } from 'zod';

/** The value kinds a flag can carry. */
export type FieldKind = 'number' | 'integer' | 'string' | 'boolean' | 'enum' | 'unsupported';

/** One config field as the CLI sees it. */
export interface FieldInfo {
  /** camelCase name, as in configs. */
  name: string;
  kind: FieldKind;
  /** True for arrays: the flag takes a comma-separated list. */
  array: boolean;
  /** True when `null` is a valid value (written `null` on the command line). */
  nullable: boolean;
  /** Allowed values of an enum (or of an array's items). */
  choices: string[] | null;
  /** The schema default (undefined when the field has none). */
  defaultValue: unknown;
  /** Help text from `.describe()`. */
  description: string;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  entries?: Record<string, string>;
  defaultValue?: unknown;
}

const defOf = (schema: z.ZodType): Def => schema._zod.def as unknown as Def;

/** Walks wrappers (default, nullable, optional, preprocess pipes) down to the value type. */
function inspect(schema: z.ZodType, info: Omit<FieldInfo, 'name' | 'description'>): Omit<FieldInfo, 'name' | 'description'> {
  const def = defOf(schema);
  switch (def.type) {
    case 'default': {
      const raw = def.defaultValue;
      const value = typeof raw === 'function' ? (raw as () => unknown)() : raw;
      return inspect(def.innerType as z.ZodType, { ...info, defaultValue: info.defaultValue ?? value });
    }
    case 'nullable':
      return inspect(def.innerType as z.ZodType, { ...info, nullable: true });
    case 'optional':
      return inspect(def.innerType as z.ZodType, info);
    case 'pipe':
      return inspect(def.out as z.ZodType, info);
    case 'array':
      return inspect(def.element as z.ZodType, { ...info, array: true });
    case 'enum':
      return { ...info, kind: 'enum', choices: Object.values(def.entries ?? {}) };
    case 'number':
      return { ...info, kind: (schema as unknown as { isInt?: boolean }).isInt ? 'integer' : 'number' };
    case 'string':
    case 'boolean':
      return { ...info, kind: def.type };
    default:
      return { ...info, kind: 'unsupported' };
  }
}

/** Every field of a zod object schema, in schema order. */
export function schemaFields(schema: z.ZodObject): FieldInfo[] {
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    description: (field as z.ZodType).description ?? '',
    ...inspect(field as z.ZodType, { kind: 'unsupported', array: false, nullable: false, choices: null, defaultValue: undefined }),
  }));
}

/** `learningRate` → `learning-rate` (the flag spelling). */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `learningRate` → `learning_rate` (TRL's spelling, accepted in config files and as a flag alias). */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
