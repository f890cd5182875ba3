// Mutation testing for @grpojs/rewards: `pnpm mutation` at the root, or `pnpm --filter @grpojs/rewards mutation`.
import { mutationConfig } from '../../stryker.shared.mjs';

// Every source file but the Unicode tables, data generated from CPython (scripts/) and checked code
// point by code point in test/reference-fixture.test.ts, and the index, which only re-exports.
export default mutationConfig('rewards', ['src/**/*.ts', '!src/generated/**', '!src/index.ts']);
