/**
 * The `serve` command: an OpenAI-compatible rollout worker over our own model code (serve/server.ts)
 * until SIGINT or SIGTERM. See docs/scale-out.md.
 */
import { initJobRuntime } from '../../runtime-options.js';
import { serve } from '../../serve/server.js';
import { CliUsageError } from '../errors.js';

/** Flags of `serve`. */
export interface ServeFlags {
  model: string;
  adapter?: string;
  host: string;
  port: number;
  servedModelName?: string;
  backend?: string;
  quantization: 'nf4' | 'int8' | 'none';
}

const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

/** Starts the server and resolves when a signal has closed it. */
export async function runServe(flags: ServeFlags): Promise<void> {
  if (flags.backend !== undefined && !(BACKENDS as readonly string[]).includes(flags.backend)) {
    throw new CliUsageError(`--backend ${flags.backend}: expected one of ${BACKENDS.join(', ')}.`);
  }
  // The GRPOJS_* switches of the environment apply, as to train and generate (docs/accel.md).
  await initJobRuntime({ backend: (flags.backend as (typeof BACKENDS)[number] | undefined) ?? null, accel: true });
  const server = await serve({
    model: flags.model,
    host: flags.host,
    port: flags.port,
    ...(flags.adapter !== undefined ? { adapter: flags.adapter } : {}),
    ...(flags.servedModelName !== undefined ? { servedModelName: flags.servedModelName } : {}),
    loadOptions: { quantization: flags.quantization },
  });
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
