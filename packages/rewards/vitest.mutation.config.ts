// The vitest config of mutation testing (stryker.config.mjs): this package's own without the
// whole-Unicode checks, which run a million code points through instrumented code for every mutant
// of python-str.ts (minutes each); python-str.test.ts covers those functions code point by code point.
import { configDefaults } from 'vitest/config';
import base from './vitest.config.js';

export default {
  ...base,
  test: { ...base.test, include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/unicode-tables.test.ts'] },
};
