#!/usr/bin/env node
// Committed (not built) so that package managers can link the command before the first build of a
// checkout; the CLI itself is the compiled dist/cli/main.js.
import '../dist/cli/main.js';
