/**
 * The train command's signal helpers: the newest checkpoint a second Ctrl-C names, and the line
 * wrapping turned back on at every exit of a process whose stdout is a terminal (process.exit
 * included, as a second Ctrl-C exits) and never written to a pipe.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LINE_WRAP_ON, newestCheckpoint } from '../../src/cli/stop-signals.js';
import { tempDir } from './helpers.js';

const BUILT = fileURLToPath(new URL('../../dist/cli/stop-signals.js', import.meta.url));

describe('newestCheckpoint', () => {
  it('picks the highest step (numerically), ignores other folders, null when there is none', () => {
    const dir = tempDir('grpojs-newest-');
    expect(newestCheckpoint(join(dir, 'missing'))).toBeNull();
    expect(newestCheckpoint(dir)).toBeNull();
    for (const name of ['checkpoint-9', 'checkpoint-10', 'checkpoint-11.tmp-123', 'runs']) mkdirSync(join(dir, name));
    expect(newestCheckpoint(dir)).toBe(join(dir, 'checkpoint-10'));
  });
});

describe.skipIf(!existsSync(BUILT))('restoreTerminalOnExit (built CLI)', () => {
  const run = (tty: boolean) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `process.stdout.isTTY = ${tty}; const m = await import(${JSON.stringify(BUILT)}); m.restoreTerminalOnExit(); m.restoreTerminalOnExit(); process.stdout.write('\\x1b[?7l'); process.exit(130);`], { encoding: 'utf8' });

  it('a terminal gets ESC[?7h once at process.exit, after the bar turned wrapping off; the status is kept', () => {
    const out = run(true);
    expect(out.status).toBe(130);
    expect(out.stdout).toBe(`\x1b[?7l${LINE_WRAP_ON}`);
  });

  it('a pipe or file gets nothing', () => {
    expect(run(false).stdout).toBe('\x1b[?7l');
  });
});
