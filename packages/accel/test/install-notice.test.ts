// The install notice names what is actually missing and the package manager that ran the install.
import { describe, expect, it } from 'vitest';
import { findMissing, installNotice, packageManager, type Probes } from '../scripts/install-notice.mjs';

/** A Linux machine with compiler, python and Debian's cblas.h, minus what `lacks` names. */
function linux(lacks: string[] = []): Probes {
  const tools = ['c++', 'g++', 'python3'].filter((t) => !lacks.includes(t));
  const files = lacks.includes('cblas.h') ? [] : ['/usr/include/x86_64-linux-gnu/cblas.h'];
  return { platform: 'linux', env: {}, onPath: (n) => tools.includes(n), exists: (f) => files.includes(f), blasIncludeDirs: [] };
}

const PNPM = 'pnpm/10.34.8 npm/? node/v22.12.0 linux x64';
const NPM = 'npm/10.9.0 node/v22.12.0 linux x64 workspaces/false';

describe('packageManager', () => {
  it('reads npm_config_user_agent, npm when unknown or unset', () => {
    expect(packageManager(PNPM)).toBe('pnpm');
    expect(packageManager(NPM)).toBe('npm');
    expect(packageManager('yarn/4.5.0 npm/? node/v22.12.0 linux x64')).toBe('yarn');
    expect(packageManager(undefined)).toBe('npm');
  });
});

describe('findMissing', () => {
  it('finds nothing on a complete machine', () => {
    expect(findMissing(linux())).toEqual([]);
  });
  it('names the compiler, not OpenBLAS, when only the compiler is missing', () => {
    expect(findMissing(linux(['c++', 'g++'])).map((m) => m.what)).toEqual(['a C++ compiler']);
  });
  it('names python and the BLAS headers separately', () => {
    expect(findMissing(linux(['python3'])).map((m) => m.what)).toEqual(['python 3 (node-gyp runs it)']);
    expect(findMissing(linux(['cblas.h'])).map((m) => m.what)).toEqual(['the OpenBLAS headers (cblas.h)']);
  });
  it('finds cblas.h in the include dirs blas-flags reports, and needs none for Accelerate', () => {
    const fedora: Probes = { ...linux(['cblas.h']), blasIncludeDirs: ['/usr/include/openblas'], exists: (f) => f === '/usr/include/openblas/cblas.h' };
    expect(findMissing(fedora)).toEqual([]);
    expect(findMissing({ ...linux(['cblas.h']), platform: 'darwin' })).toEqual([]);
  });
  it('honours CXX', () => {
    expect(findMissing({ ...linux(['c++', 'g++']), env: { CXX: '/opt/gcc/bin/g++ -m64' }, exists: (f) => f === '/opt/gcc/bin/g++' || f.endsWith('cblas.h') }).map((m) => m.what)).toEqual([]);
  });
});

describe('installNotice', () => {
  it('says what is missing and the rebuild command of npm under npm', () => {
    const notice = installNotice({ reason: 'node-gyp exited with 1', missing: findMissing(linux(['c++', 'g++'])), userAgent: NPM, inWorkspace: false });
    expect(notice).toContain('Missing a C++ compiler: install build-essential');
    expect(notice).not.toContain('libopenblas-dev');
    expect(notice).toMatch(/rebuild: npm rebuild @grpojs\/accel$/);
  });
  it('names pnpm under pnpm, and the build:native script in the monorepo', () => {
    const missing = findMissing(linux(['cblas.h']));
    expect(installNotice({ reason: 'x', missing, userAgent: PNPM, inWorkspace: false })).toMatch(/libopenblas-dev.*pnpm rebuild @grpojs\/accel$/);
    expect(installNotice({ reason: 'x', missing, userAgent: PNPM, inWorkspace: true })).toMatch(/pnpm --filter @grpojs\/accel build:native$/);
  });
  it('gives the build error when nothing is missing', () => {
    const notice = installNotice({ reason: 'GRPOJS_ACCEL_SKIP_BUILD=1 was set at install time\nmore', missing: [], userAgent: NPM, inWorkspace: false });
    expect(notice).toContain('Reason: GRPOJS_ACCEL_SKIP_BUILD=1 was set at install time.');
  });
  it('says why the prebuilt binary was not used when there is one', () => {
    const why = "prebuilds/linux-x64/grpojs_accel.node failed to load: version `GLIBC_2.34' not found";
    const notice = installNotice({ reason: 'x', missing: findMissing(linux(['c++', 'g++'])), prebuilt: why, userAgent: NPM, inWorkspace: false });
    expect(notice).toContain(`The prebuilt addon was not used (${why}) and building from source failed. Missing a C++ compiler`);
    expect(installNotice({ reason: 'x', missing: [], prebuilt: null, userAgent: NPM, inWorkspace: false })).not.toContain('prebuilt');
  });
});
