/**
 * `pnpm --filter runner start [options]`: the repository's way to run the `grpojs` command line,
 * which lives in the umbrella package (grpojs/cli) so that installing `grpojs` alone gives the bin.
 */
import { runCli } from 'grpojs/cli';

// `pnpm --filter runner start` runs this in packages/runner; paths on the command line (and the
// outputs/ and runs/ folders) are meant relative to where the user typed it, which pnpm and npm
// pass as INIT_CWD.
if (process.env.npm_lifecycle_event === 'start' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

await runCli(process.argv);
