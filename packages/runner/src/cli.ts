#!/usr/bin/env node
/**
 * Entry point of the `grpojs` binary: parses the command line and turns known failures (bad flags
 * or config, a prompt format the tokenizer cannot give, an unreachable hub) into a message and an
 * exit status instead of a stack trace.
 */
import { CommanderError, type Command } from 'commander';
import {
  CheckpointError,
  HubUnavailableError,
  PromptFormatError,
  TrainConfigError,
  TrainingDivergedError,
  UnwritableFolderError,
  jobSecrets,
  redactText,
} from 'grpojs';
import { CliUsageError, InterruptedError } from './errors.js';
import { createProgram } from './program.js';

// `pnpm --filter runner start` runs this in packages/runner; paths on the command line (and the
// outputs/ and runs/ folders) are meant relative to where the user typed it, which pnpm and npm
// pass as INIT_CWD.
if (process.env.npm_lifecycle_event === 'start' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

// `pnpm start -- --flag` passes the `--` through (npm drops it); commander would read it as "no
// more options", so a leading one is dropped.
const argv = process.argv[2] === '--' ? [...process.argv.slice(0, 2), ...process.argv.slice(3)] : process.argv;

// `grpojs --help | head` closes the pipe before the text is written: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

/** Commander's own exits become CommanderErrors, so a usage error exits 2 like a config error. */
function throwOnExit(command: Command): void {
  command.exitOverride();
  command.commands.forEach(throwOnExit);
}

/** Error output: a message may quote a path or value that holds a key (tracking's redaction, as at every sink). */
function stderr(text: string): void {
  process.stderr.write(redactText(text, jobSecrets()));
}

try {
  const program = createProgram();
  throwOnExit(program);
  await program.parseAsync(argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander printed the message (or the help / version) already.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof CliUsageError || error instanceof TrainConfigError || error instanceof PromptFormatError) {
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
