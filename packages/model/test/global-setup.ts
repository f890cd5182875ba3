// Runs once per `vitest run`: one line saying why the native-kernel tests (native-helpers.ts) are
// skipped (and a failure under CI), see vitest.native-tests.ts.
import { existsSync } from 'node:fs';
import { addonStatus } from '@grpojs/accel';
import { reportNativeTests } from '../../../vitest.native-tests.js';
// @ts-expect-error -- a plain .mjs build script without type declarations
import { OUTPUT, bundleTfjsRegistrations } from '../scripts/bundle-tfjs-registrations.mjs';

export default async function setup(): Promise<void> {
  reportNativeTests('@grpojs/model', addonStatus(), true);
  // src/runtime/backend.ts imports the bundle `pnpm build` makes; make it when the package is unbuilt.
  if (!existsSync(OUTPUT)) await bundleTfjsRegistrations();
}
