/** A mistyped command gets commander's "did you mean", not a "too many arguments" from the default command. */
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { runProgram } from './helpers.js';

describe('unknown commands', () => {
  it('suggest the closest command', async () => {
    for (const [typo, command] of [['trian', 'train'], ['scor', 'score'], ['evl', 'eval'], ['genrate', 'generate']]) {
      const { error, stderr } = await runProgram([typo, '--max-steps', '1']);
      expect(error).toBeInstanceOf(CommanderError);
      expect((error as CommanderError).code).toBe('commander.unknownCommand');
      expect(stderr).toContain(`unknown command '${typo}'`);
      expect(stderr).toContain(`Did you mean ${command}?`);
    }
  });

  it('options alone still run the default command', async () => {
    const { error, stdout } = await runProgram(['--print-config', '--max-steps', '1']);
    expect(error).toBeUndefined();
    expect(JSON.parse(stdout)).toMatchObject({ maxSteps: 1 });
  });
});
