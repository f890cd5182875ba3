// A run name comes from the config, the CLI or a W&B name: whatever it holds, the run directory is
// one new folder directly inside runsDir.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunDirTracker } from '../src/index.js';

describe('run names become one folder inside runsDir', () => {
  it.each(['..', '.', '../../etc', '/etc/passwd', 'a/../../b', 'C:\\Windows\\x', 'nul\u0000byte', '', '~', '-'.repeat(300)])('%j', async (name) => {
    const cwd = mkdtempSync(join(tmpdir(), 'run-names-'));
    const t = new RunDirTracker({ cwd, report: false, secrets: [] });
    await t.init({ name, config: {} });
    expect(dirname(t.dir!)).toBe(join(cwd, 'runs'));
    expect(readdirSync(cwd)).toEqual(['runs']);
    expect(readdirSync(join(cwd, 'runs'))).toHaveLength(1);
    await t.finish();
  });
});
