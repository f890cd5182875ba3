// Mutation testing for @grpojs/data: `pnpm mutation` at the root, or `pnpm --filter @grpojs/data mutation`.
import { mutationConfig } from '../../stryker.shared.mjs';

// The loaders (split lookup, jsonl, parquet, row checks, GSM8K rows) and the seeded sampling. Left out:
// the hub client (HTTP and cache folders), chat templates (jinja) and the file-error wrappers.
export default mutationConfig('data', [
  'src/gsm8k.ts',
  'src/jsonl.ts',
  'src/parquet.ts',
  'src/records.ts',
  'src/split-files.ts',
  'src/sampler.ts',
  'src/holdout.ts',
]);
