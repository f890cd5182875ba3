// Runs once per `vitest run`: one line saying why the native-kernel tests (native-helpers.ts) are
// skipped (and a failure under CI), see vitest.native-tests.ts.
import { addonStatus } from '@grpojs/accel';
import { reportNativeTests } from '../../../vitest.native-tests.js';

export default function setup(): void {
  reportNativeTests('@grpojs/model', addonStatus(), true);
}
