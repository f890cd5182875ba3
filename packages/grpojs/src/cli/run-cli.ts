/**
 * The `grpojs` command line as one function: parses the arguments and turns known failures (bad
 * flags or config, a prompt format the tokenizer cannot give, an unreachable hub) into a message
 * and an exit status instead of a stack trace. The `grpojs` bin (main.ts) and @grpojs/runner's
 * `start` both call it.
 */
import { CommanderError, type Command } from 'commander';
import {
  CheckpointError,
  HubUnavailableError,
  PromptFormatError,
  RuntimeOptionsError,
  TrainConfigError,
  TrainingDivergedError,
  UnwritableFolderError,
  jobSecrets,
  redactText,
} from '../index.js';
import { CliUsageError, InterruptedError } from './errors.js';
import { createProgram } from './program.js';

/** Commander's own exits become CommanderErrors, so a usage error exits 2 like a config error. */
function throwOnExit(command: Command): void {
  command.exitOverride();
  command.commands.forEach(throwOnExit);
}

/** Error output: a message may quote a path or value that holds a key (tracking's redaction, as at every sink). */
function stderr(text: string): void {
  process.stderr.write(redactText(text, jobSecrets()));
}

/**
 * Runs the command line `argv` (as process.argv: node, script, arguments...) and sets
 * process.exitCode: 0, 1 for a failed run, 2 for a usage or config error, 130/143 for a stop by
 * signal. Returns once the command is done; a bug (not a known failure) is rethrown when
 * GRPOJS_DEBUG is set, so its stack trace is printed.
 */
export async function runCli(argv: readonly string[] = process.argv): Promise<void> {
  // `npm start -- --flag` style wrappers can pass the `--` through; commander would read it as "no
  // more options", so a leading one is dropped.
  const args = argv[2] === '--' ? [...argv.slice(0, 2), ...argv.slice(3)] : [...argv];

  // `grpojs --help | head` closes the pipe before the text is written: stop quietly, as Unix tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });

  try {
    const program = createProgram();
    throwOnExit(program);
    await program.parseAsync(args);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed the message (or the help / version) already.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
    } else if (error instanceof CliUsageError || error instanceof TrainConfigError || error instanceof PromptFormatError || error instanceof RuntimeOptionsError) {
      stderr(`grpojs: ${error.message}\n`);
      process.exitCode = 2;
    } else if (error instanceof InterruptedError) {
      stderr(`grpojs: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else if (error instanceof TrainingDivergedError || error instanceof UnwritableFolderError || error instanceof CheckpointError) {
      // Known failures whose message says what to do (a diverged run, a folder that cannot be
      // written, a checkpoint that is damaged or belongs to another run): no stack-trace hint.
      stderr(`grpojs: ${error.message}\n`);
      process.exitCode = 1;
    } else if (error instanceof HubUnavailableError || process.env.GRPOJS_DEBUG === undefined) {
      stderr(`grpojs: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
      if (!(error instanceof HubUnavailableError)) stderr('(set GRPOJS_DEBUG=1 to see the stack trace)\n');
      process.exitCode = 1;
    } else {
      throw error;
    }
  }
}
