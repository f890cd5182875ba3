// The vitest config of mutation testing (stryker.config.mjs): this package's own, with only the tests
// of the mutated modules (named after them), since every mutant reruns the tests that cover it; the
// trainer tests, minutes each, are left out.
import base from './vitest.config.js';

export default { ...base, test: { ...base.test, include: ['test/{advantages,loss,optimizer,schedule}*.test.ts'] } };
