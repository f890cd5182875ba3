// Runs once per `vitest run`: one line saying why the native tests are skipped (and a failure under
// CI), see vitest.native-tests.ts. Loads the addon without tfjs.
import { reportNativeTests } from '../../../vitest.native-tests.js';
import { loadAddon } from '../src/native.js';

export default function setup(): void {
  const load = loadAddon();
  reportNativeTests('@grpojs/accel', load.ok ? { built: true } : { built: false, reason: load.reason }, false);
}
