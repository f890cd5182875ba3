// A run directory that cannot be written warns once, naming the file (training goes on).
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunDirTracker } from '../src/index.js';

describe('run directory write failures name the file', () => {
  it('summary.json in the way as a folder', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rundir-errors-'));
    const warnings: string[] = [];
    const t = new RunDirTracker({ cwd, dir: 'run', report: false, secrets: [], warn: (line) => warnings.push(line) });
    await t.init({ name: 'r', config: {} });
    mkdirSync(join(cwd, 'run', 'summary.json'));
    await t.summary({ eval_accuracy: 0.5 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`could not write ${join(cwd, 'run', 'summary.json')}: `);
  });
});
