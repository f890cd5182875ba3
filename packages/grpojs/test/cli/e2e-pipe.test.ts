/** The built CLI writing into a pipe that its reader closes early (`grpojs --help | head -1`). */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

describe.skipIf(!existsSync(CLI))('grpojs output into a closed pipe (built CLI)', () => {
  it('`--help | head -1` prints the first line and exits 0 without an EPIPE error', async () => {
    const { stdout, stderr } = await run('bash', ['-c', `"${process.execPath}" "${CLI}" --help | head -1; exit \${PIPESTATUS[0]}`], { timeout: 60_000 });
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
  }, 70_000);
});
