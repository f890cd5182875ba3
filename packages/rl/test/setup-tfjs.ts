// Runs in every test process before the test file: @grpojs/model registers the cpu backend and
// tfjs-core's gradients and chained tensor methods on import, as it does for a user of @grpojs/rl
// (whose index imports it), also for tests that import single source files. The tests import
// @tensorflow/tfjs-core, never the @tensorflow/tfjs umbrella, so nothing else registers them.
import { initRuntime, runtimeOptionsFromEnv } from '@grpojs/model';

// The GRPOJS_* switches of a whole-suite run (GRPOJS_ACCEL=0, ...) reach @grpojs/model's runtime here,
// as the grpojs CLI passes them (library code never reads the environment; tests may).
const fromEnv = runtimeOptionsFromEnv(process.env);
if (Object.keys(fromEnv).length > 0) await initRuntime({ ...fromEnv, log: () => {} });
