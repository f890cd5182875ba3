// Mutation testing for @grpojs/rl: `pnpm mutation` at the root, or `pnpm --filter @grpojs/rl mutation`.
import { mutationConfig } from '../../stryker.shared.mjs';

// The pure GRPO phases with fast unit tests against torch/TRL fixtures. The trainer and rollout code is
// covered by end-to-end tests that take minutes each, too slow to rerun once per mutant.
export default mutationConfig('rl', ['src/advantages.ts', 'src/loss.ts', 'src/optimizer.ts', 'src/schedule.ts']);
