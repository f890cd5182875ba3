/**
 * The process runtime a job runs with (@grpojs/model's initRuntime): the GRPOJS_* switches of the
 * environment, read here through model's runtimeOptionsFromEnv (the umbrella is where the
 * environment is read; the library packages never read it), then the job's own `backend` and
 * `accel`. docs/accel.md lists every switch.
 */
import { initRuntime, type BackendName, type RuntimeOptions, runtimeOptionsFromEnv } from '@grpojs/model';

/** The runtime fields of a job: a backend (null: the environment's, else the fastest) and accel on/off. */
export interface JobRuntimeFields {
  backend: BackendName | null;
  accel: boolean;
}

/**
 * The runtime options of `job` under `env`: the job's backend over GRPOJS_BACKEND, and accel off
 * when the job or GRPOJS_ACCEL=0 says so (the per-family GRPOJS_ACCEL_* switches otherwise).
 */
export function jobRuntimeOptions(job: JobRuntimeFields, env: Readonly<Record<string, string | undefined>>): RuntimeOptions {
  const fromEnv = runtimeOptionsFromEnv(env);
  return { ...fromEnv, ...(job.backend !== null ? { backend: job.backend } : {}), ...(job.accel ? {} : { accel: false }) };
}

/** Applies {@link jobRuntimeOptions} with this process's environment; `log` receives the matmul line. */
export async function initJobRuntime(job: JobRuntimeFields, log?: (line: string) => void): Promise<void> {
  await initRuntime({ ...jobRuntimeOptions(job, process.env), ...(log !== undefined ? { log } : {}) });
}
