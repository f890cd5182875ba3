#!/usr/bin/env node
/**
 * Entry point of the `grpojs` binary: parses the command line and turns known failures (bad flags
 * or config, an unreachable hub) into a message and an exit status instead of a stack trace.
 */
import { HubUnavailableError, TrainConfigError } from 'grpojs';
import { CliUsageError } from './errors.js';
import { createProgram } from './program.js';

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CliUsageError || error instanceof TrainConfigError) {
    process.stderr.write(`grpojs: ${error.message}\n`);
    process.exitCode = 2;
  } else if (error instanceof HubUnavailableError || process.env.GRPOJS_DEBUG === undefined) {
    process.stderr.write(`grpojs: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    if (!(error instanceof HubUnavailableError)) process.stderr.write('(set GRPOJS_DEBUG=1 to see the stack trace)\n');
    process.exitCode = 1;
  } else {
    throw error;
  }
}
