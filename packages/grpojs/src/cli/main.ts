#!/usr/bin/env node
/** The `grpojs` bin: the command line of this process (see run-cli.ts for the exit statuses). */
import { runCli } from './run-cli.js';

await runCli(process.argv);
