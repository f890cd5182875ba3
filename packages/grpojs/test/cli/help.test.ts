import { DataOptionsSchema, JobOptionsSchema, ModelOptionsSchema, OutputOptionsSchema, TrainConfigSchema } from '../../src/index.js';
import { describe, expect, it } from 'vitest';
import { flagName } from '../../src/cli/flags.js';
import { schemaFields } from '../../src/cli/schema-fields.js';
import { runProgram } from './helpers.js';

describe('--help', () => {
  it('lists every config field as a flag, in its section', async () => {
    const { stdout } = await runProgram(['--help']);
    for (const name of Object.keys(TrainConfigSchema.shape)) expect(stdout).toContain(flagName(name));
    for (const heading of ['Model options:', 'Data options:', 'Output and tracking options:', 'GRPO trainer options']) expect(stdout).toContain(heading);
  });

  it("lists each flag under its schema section's heading (--save-merged with output, not data)", async () => {
    // `train --help`: each heading line, then its option lines (`  --flag ...`).
    const headingOf = new Map<string, string>();
    let heading = '';
    for (const line of (await runProgram(['train', '--help'])).stdout.split('\n')) {
      if (/^\S.*:$/.test(line)) heading = line;
      const flag = /^ {2}(--[a-z0-9-]+)/.exec(line)?.[1];
      if (flag !== undefined) headingOf.set(flag, heading);
    }
    expect(headingOf.get('--save-merged')).toBe('Output and tracking options:');
    const job = new Set(Object.keys(JobOptionsSchema.shape));
    const sections: [string, string[]][] = [
      ['Model options:', Object.keys(ModelOptionsSchema.shape)],
      ['Data options:', Object.keys(DataOptionsSchema.shape)],
      ['Output and tracking options:', Object.keys(OutputOptionsSchema.shape)],
      ['GRPO trainer options (TRL GRPOConfig names, camelCased):', Object.keys(TrainConfigSchema.shape).filter((name) => !job.has(name))],
    ];
    for (const [expected, fields] of sections) for (const field of fields) expect(headingOf.get(flagName(field)), field).toBe(expected);
    expect([...headingOf.keys()].filter((flag) => flag !== '--help' && flag !== '--config' && flag !== '--preset' && flag !== '--print-config' && flag !== '--resume' && flag !== '--reward-module' && flag !== '--no-default-rewards'))
      .toHaveLength(Object.keys(TrainConfigSchema.shape).length);
  });

  it('shows the defaults, types and choices from the schemas', async () => {
    // Commander wraps long lines; compare with whitespace runs collapsed.
    const stdout = (await runProgram(['train', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(stdout).toMatch(/--learning-rate <number> Peak AdamW learning rate\. \(TRL: learning_rate\) \(default: 0\.00001\)/);
    expect(stdout).toMatch(/--quantization <nf4\|int8\|none>[\s\S]*?\(default: "nf4"\)/);
    expect(stdout).toMatch(/--lora-target-modules <string,\.\.\.>[\s\S]*?Default: PEFT's default for the architecture — c_attn for GPT-2, q_proj,v_proj for the Llama family\./);
    expect(stdout).toMatch(/--prompt-format <auto\|seed\|chat-template>[\s\S]*?\(default: "auto"\)/);
    expect(stdout).toMatch(/--output-dir <string>[\s\S]*?\(default: outputs\/<model name>-GRPO\)/);
    expect(stdout).toMatch(/--gradient-checkpointing \[true\|false\]/);
  });

  it('lists the commands and presets', async () => {
    const { stdout } = await runProgram(['--help']);
    for (const command of ['train', 'eval', 'generate', 'score']) expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    expect(stdout).toMatch(/--preset <name>[\s\S]*smoke: offline/);
  });

  it('every schema field maps to a flag kind the CLI can parse', () => {
    const unsupported = schemaFields(TrainConfigSchema).filter((f) => f.kind === 'unsupported').map((f) => f.name);
    expect(unsupported).toEqual([]);
  });
});
