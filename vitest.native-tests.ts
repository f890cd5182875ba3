// One summary line when a package's native-kernel tests (those that need the @grpojs/accel addon)
// are skipped, printed once by the package's vitest globalSetup instead of per test file. Under CI the
// addon must be there (.ci/run installs libopenblas-dev), so a missing addon fails the run unless
// GRPOJS_ALLOW_NO_ACCEL=1 says this machine cannot build it (no C++ compiler).
export type AddonStatus = { built: true } | { built: false; reason: string };

/** A set-up problem, not a bug: vitest prints it without a stack trace. */
export class NativeTestsSkippedError extends Error {
  override name = 'NativeTestsSkippedError';
  constructor(message: string) {
    super(message);
    this.stack = `${this.name}: ${message}`;
  }
}

/** Whether CI is set (to anything but '', 'false' or '0'). */
export function isCI(env = process.env): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
}

/**
 * Prints why `pkg`'s native tests are skipped, if they are; throws under CI when the addon is
 * missing. `honoursAccelSwitch`: whether GRPOJS_ACCEL=0 skips them in this package (accel's own
 * tests clear it).
 */
export function reportNativeTests(pkg: string, status: AddonStatus, honoursAccelSwitch: boolean, env = process.env): void {
  if (!status.built) {
    const line = `${pkg}: native-kernel tests SKIPPED: ${status.reason}`;
    if (isCI(env) && env.GRPOJS_ALLOW_NO_ACCEL !== '1') {
      throw new NativeTestsSkippedError(
        `${line}\nCI is set, and CI must run the native tests: install a C++ compiler, python3 and libopenblas-dev ` +
          '(.ci/run installs libopenblas-dev), or set GRPOJS_ALLOW_NO_ACCEL=1 on a machine that cannot build the addon.',
      );
    }
    console.warn(line);
  } else if (honoursAccelSwitch && env.GRPOJS_ACCEL === '0') {
    console.warn(`${pkg}: native-kernel tests SKIPPED: GRPOJS_ACCEL=0 is set (unset it to run them)`);
  }
}
