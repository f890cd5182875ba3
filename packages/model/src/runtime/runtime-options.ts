/**
 * The runtime options of the process: which tfjs backend, which of @grpojs/accel's native kernels,
 * how many kernel threads, and whether generate decodes on the native engine. One zod schema is the
 * source of their types and defaults; {@link runtimeOptionsFromEnv} is the only place that reads
 * the GRPOJS_* switches (from an env object its caller passes: the grpojs CLI, the runner and the
 * bench pass the process environment). docs/accel.md lists every switch.
 */
import { z } from 'zod';
import type { AccelKernelFamily } from '@grpojs/accel/contract';

export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The kernel families of @grpojs/accel besides the matmul, as the runtime options name them. */
export const ACCEL_FAMILIES = ['vocab', 'gelu', 'layernorm', 'gather', 'identity', 'softmax', 'heads', 'nf4', 'llama'] as const;
export type AccelFamily = (typeof ACCEL_FAMILIES)[number];
// The families must be the contract's (a family added there fails this line until it is added here).
const SAME_FAMILIES: [AccelFamily, AccelKernelFamily] extends [AccelKernelFamily, AccelFamily] ? true : never = true;
void SAME_FAMILIES;

const accelSwitches = z
  .object({
    matmul: z.boolean().optional().describe('BatchMatMul and _FusedMatMul on the system BLAS; every family below needs it'),
    ...Object.fromEntries(ACCEL_FAMILIES.map((f) => [f, z.boolean().optional()])),
  } as Record<'matmul' | AccelFamily, z.ZodOptional<z.ZodBoolean>>)
  .strict();

export const runtimeOptionsSchema = z
  .object({
    backend: z.enum(BACKEND_NAMES).optional().describe('tfjs backend; unset: tensorflow, then wasm, then cpu, the first that starts'),
    accel: z
      .union([z.boolean(), accelSwitches])
      .default(true)
      .describe("@grpojs/accel's native kernels on wasm/cpu when installed: all (true), none (false), or per family ({ gelu: false })"),
    kernelThreads: z.number().int().min(1).max(64).optional().describe("size of accel's kernel thread pool; unset: the CPU count capped at 4"),
    nativeDecode: z.boolean().default(true).describe("generate's decode steps on accel's native engine (wasm/cpu, GPT-2 and the Llama family)"),
    nativeDecodeNf4Codes: z
      .boolean()
      .default(true)
      .describe('the native engine keeps frozen NF4 projections as their 4-bit codes; false: as dequantized fp32 panels'),
  })
  .strict();

/** What {@link initRuntime} takes (every field optional). */
export type RuntimeOptions = z.input<typeof runtimeOptionsSchema>;
/** Per-family switches of {@link RuntimeOptions.accel} (absent: on). */
export type AccelSwitches = Partial<Record<'matmul' | AccelFamily, boolean>>;

/** The options in effect, every default filled in and `accel` spelled out per family. */
export interface ResolvedRuntimeOptions {
  backend: BackendName | null;
  accel: { matmul: boolean } & Record<AccelFamily, boolean>;
  kernelThreads: number | null;
  nativeDecode: boolean;
  nativeDecodeNf4Codes: boolean;
}

/** A runtime option or GRPOJS_* variable that is not valid. */
export class RuntimeOptionsError extends Error {
  override name = 'RuntimeOptionsError';
}

/** Validates `options` (errors name the field, `where` says whose) and fills in the defaults. */
export function resolveRuntimeOptions(options: RuntimeOptions, where = 'initRuntime'): ResolvedRuntimeOptions {
  const parsed = runtimeOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // `accel` is a boolean or an object of switches: zod reports either shape's failure as one
    // "Invalid input"; name the switch that is wrong, or say which shapes it takes.
    const accel = (options as { accel?: unknown }).accel;
    if (issue.path[0] === 'accel' && issue.code === 'invalid_union') {
      const bad = accel !== null && typeof accel === 'object' ? Object.entries(accel).find(([, v]) => typeof v !== 'boolean') : undefined;
      throw new RuntimeOptionsError(
        bad !== undefined
          ? `${where}: options.accel.${bad[0]} is ${JSON.stringify(bad[1])}; use true or false.`
          : `${where}: options.accel is ${JSON.stringify(accel)}; use true, false or per family { ${ACCEL_FAMILIES[0]}: false, … } (docs/accel.md).`,
      );
    }
    const field = issue.path.length > 0 ? `options.${issue.path.join('.')}` : 'options';
    throw new RuntimeOptionsError(`${where}: ${field}: ${issue.message}`);
  }
  const o = parsed.data;
  const switches: AccelSwitches = typeof o.accel === 'boolean' ? {} : o.accel;
  const all = o.accel !== false && switches.matmul !== false;
  const accel = { matmul: all } as ResolvedRuntimeOptions['accel'];
  for (const f of ACCEL_FAMILIES) accel[f] = all && switches[f] !== false;
  return {
    backend: o.backend ?? null,
    accel,
    kernelThreads: o.kernelThreads ?? null,
    nativeDecode: o.nativeDecode,
    nativeDecodeNf4Codes: o.nativeDecodeNf4Codes,
  };
}

/**
 * The runtime options the GRPOJS_* variables of `env` ask for (unset variables ask for nothing):
 *   GRPOJS_BACKEND=tensorflow|wasm|cpu      backend
 *   GRPOJS_ACCEL=0                          accel: false
 *   GRPOJS_ACCEL_<FAMILY>=0                 accel: { <family>: false } (VOCAB, GELU, LAYERNORM,
 *                                           GATHER, IDENTITY, SOFTMAX, HEADS, NF4, LLAMA)
 *   GRPOJS_ACCEL_KERNEL_THREADS=n           kernelThreads: n
 *   GRPOJS_NATIVE_DECODE=0                  nativeDecode: false
 *   GRPOJS_DECODE_NF4_PANELS=0              nativeDecodeNf4Codes: false
 * An on/off switch takes 0 (off) or 1 (on, the default); every variable is read (also the families
 * under GRPOJS_ACCEL=0), and a value it cannot use throws RuntimeOptionsError naming the variable.
 */
export function runtimeOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): RuntimeOptions {
  const options: RuntimeOptions = {};
  const backend = env.GRPOJS_BACKEND?.trim().toLowerCase();
  if (backend) {
    if (!(BACKEND_NAMES as readonly string[]).includes(backend)) {
      throw new RuntimeOptionsError(`GRPOJS_BACKEND: unknown backend "${env.GRPOJS_BACKEND}"; use one of ${BACKEND_NAMES.join(', ')}.`);
    }
    options.backend = backend as BackendName;
  }
  if (isOff(env, 'GRPOJS_ACCEL')) {
    options.accel = false;
  }
  const off = ACCEL_FAMILIES.filter((f) => isOff(env, `GRPOJS_ACCEL_${f.toUpperCase()}`));
  if (off.length > 0 && options.accel !== false) options.accel = Object.fromEntries(off.map((f) => [f, false]));
  const threads = env.GRPOJS_ACCEL_KERNEL_THREADS;
  if (threads !== undefined && threads !== '') {
    const n = Number(threads);
    if (!(Number.isInteger(n) && n >= 1 && n <= 64)) {
      throw new RuntimeOptionsError(`GRPOJS_ACCEL_KERNEL_THREADS is "${threads}"; use an integer from 1 to 64 (or unset it).`);
    }
    options.kernelThreads = n;
  }
  if (isOff(env, 'GRPOJS_NATIVE_DECODE')) options.nativeDecode = false;
  if (isOff(env, 'GRPOJS_DECODE_NF4_PANELS')) options.nativeDecodeNf4Codes = false;
  return options;
}

/** An on/off variable: '0' is off; '1', empty or unset leave the default (on); anything else is an error. */
function isOff(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '' || value === '1') return false;
  if (value === '0') return true;
  throw new RuntimeOptionsError(`${name} is "${value}"; use 0 (off) or 1 (on), or unset it.`);
}
