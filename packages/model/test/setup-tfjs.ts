// Runs in every test process before the test file: what src/index.ts gives a user on import — the
// cpu backend and tfjs-core's gradients and chained tensor methods (runtime/backend.ts) — for tests
// that import single source files. The model tests import @tensorflow/tfjs-core, never the
// @tensorflow/tfjs umbrella, so a gradient or method the package fails to register fails here too.
import '../src/runtime/backend.js';
// The GRPOJS_* switches of a whole-suite run (GRPOJS_ACCEL=0, GRPOJS_NATIVE_DECODE=0, ...) reach the
// runtime here, as the grpojs CLI passes them: tests are not library code, so they may read the
// environment, through the one function that interprets it. Without any, the runtime keeps its
// defaults until a test starts a backend.
import { initRuntime } from '../src/runtime/runtime.js';
import { runtimeOptionsFromEnv } from '../src/runtime/runtime-options.js';

const fromEnv = runtimeOptionsFromEnv(process.env);
if (Object.keys(fromEnv).length > 0) await initRuntime({ ...fromEnv, log: () => {} });
