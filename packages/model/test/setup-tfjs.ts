// Runs in every test process before the test file: what src/index.ts gives a user on import — the
// cpu backend and tfjs-core's gradients and chained tensor methods (runtime/backend.ts) — for tests
// that import single source files. The model tests import @tensorflow/tfjs-core, never the
// @tensorflow/tfjs umbrella, so a gradient or method the package fails to register fails here too.
import '../src/runtime/backend.js';
