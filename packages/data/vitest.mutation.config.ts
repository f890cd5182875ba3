// The vitest config of mutation testing (stryker.config.mjs): this package's own, with only the tests
// of the mutated modules (named after them; hub.test.ts for split-files' hub branch), since every
// mutant reruns the tests that cover it.
import base from './vitest.config.js';

export default {
  ...base,
  test: { ...base.test, include: ['test/{gsm8k,jsonl,parquet,records,split-files,sampler,holdout,hub}*.test.ts'] },
};
