// Regenerates docs/configuration.md from the config schema (run after `pnpm build`):
//   pnpm --filter @grpojs/rl docs:config
// The rl test suite fails when the committed file and the schema disagree.
import { writeFileSync } from 'node:fs';
import { renderConfigMarkdownTable } from '../dist/index.js';

const header = `# GRPO configuration

Every option of \`GRPOTrainer\` (\`@grpojs/rl\`), generated from the zod schema in
\`packages/rl/src/config.ts\`, which is the single source of defaults, types and help text.
Names are TRL \`GRPOConfig\` names camelCased; the TRL column gives the Python name so configs map
one to one. Defaults follow the reference pipeline (TRL of early 2025), not today's TRL where they
differ (e.g. \`numGenerations\` 2 instead of 8, \`beta\` 0.04 instead of 0).

Unknown keys are rejected (a snake_case \`learning_rate\` is reported, not silently ignored) by the library; the CLI's \`--config\` files and flags also take TRL's snake_case spellings (docs/cli.md).
\`scaleRewards\` also accepts TRL's older boolean form (\`true\` = "group", \`false\` = "none").

## Batch arithmetic

- One micro-batch = \`perDeviceTrainBatchSize\` prompts × \`numGenerations\` completions
  (TRL counts completions in \`per_device_train_batch_size\`; grpojs counts prompts).
- One generation batch = \`stepsPerGeneration\` micro-batches (default \`gradientAccumulationSteps\`),
  generated together; k = stepsPerGeneration / gradientAccumulationSteps optimizer steps train on
  its micro-batches in turn, and it is reused for \`numIterations\` such rounds (k × numIterations steps).
- Steps per epoch = floor(prompts / (perDeviceTrainBatchSize × stepsPerGeneration)) × k × numIterations;
  total steps = \`maxSteps\` when > 0, else ceil(numTrainEpochs × steps per epoch).

## Fields

`;
const footer = `

## Not configurable here

- LoRA rank/alpha/dropout/targets, quantization and gradient checkpointing belong to the model
  (\`loadCausalLM\` options in \`@grpojs/model\`).
- The tracker (console, run folder, Weights & Biases) is passed to the trainer as an object
  (\`@grpojs/tracking\`).
`;
const target = new URL('../../../docs/configuration.md', import.meta.url);
writeFileSync(target, header + renderConfigMarkdownTable() + footer);
console.log(`wrote ${target.pathname}`);
