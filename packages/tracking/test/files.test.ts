/**
 * Crash-consistent JSON-lines files: a line torn by a crash or a full disk is cut off before the
 * next append (never glued to it), with a warning naming the file and the bytes dropped.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendJsonl, repairJsonlTail, RunDirTracker } from '../src/index.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'grpojs-jsonl-'));

describe('repairJsonlTail', () => {
  it('cuts a torn last line back to the last complete one and returns the bytes dropped', async () => {
    const file = join(tempDir(), 'completions.jsonl');
    writeFileSync(file, '{"step":1}\n{"step":2}\n{"step":3,"compl');
    expect(await repairJsonlTail(file)).toBe(16);
    expect(readFileSync(file, 'utf8')).toBe('{"step":1}\n{"step":2}\n');
    expect(await repairJsonlTail(file)).toBe(0);
  });

  it('leaves clean, empty and missing files alone; a file of one torn line becomes empty', async () => {
    const dir = tempDir();
    expect(await repairJsonlTail(join(dir, 'missing.jsonl'))).toBe(0);
    writeFileSync(join(dir, 'empty.jsonl'), '');
    expect(await repairJsonlTail(join(dir, 'empty.jsonl'))).toBe(0);
    const torn = join(dir, 'torn.jsonl');
    writeFileSync(torn, `{"a":"${'x'.repeat(200_000)}`); // longer than one read chunk, no newline at all
    expect(await repairJsonlTail(torn)).toBe(200_006);
    expect(readFileSync(torn, 'utf8')).toBe('');
  });

  it('appendJsonl after a repair continues on a fresh line', async () => {
    const file = join(tempDir(), 'c.jsonl');
    writeFileSync(file, '{"step":1}\n{"st');
    await repairJsonlTail(file);
    await appendJsonl(file, [{ step: 2 }, { step: 3 }]);
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([{ step: 1 }, { step: 2 }, { step: 3 }]);
  });
});

describe('RunDirTracker on a reused directory', () => {
  it('drops a torn last line of metrics.jsonl before appending, and warns naming the file and the bytes', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1,"loss":0.5}\n{"step":2,"lo');
    const warnings: string[] = [];
    const t = new RunDirTracker({ dir, report: false, warn: (m) => warnings.push(m) });
    await t.init({ name: 'r', config: {} });
    await t.log({ loss: 0.25 }, 2);
    await t.finish();
    const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number });
    expect(rows.map((r) => r.step)).toEqual([1, 2]);
    expect(warnings).toEqual([`${join(dir, 'metrics.jsonl')}: dropped a torn last line (13 bytes) left by a crash during an append`]);
  });
});
