/**
 * readJsonl line by line: what counts as a blank line, which JSON values are not rows (each with
 * its own reason), CRLF files reporting exactly what LF files report, and a file it cannot read.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError } from '../src/index.js';
import { readJsonl } from '../src/jsonl.js';
import { RowProblems } from '../src/records.js';

function fileWith(contents: string | Buffer): string {
  const file = join(mkdtempSync(join(tmpdir(), 'grpojs-jsonl-')), 'rows.jsonl');
  writeFileSync(file, contents);
  return file;
}

/** Reads `contents` non-strictly: the rows' values, the blank-line count and the skipped rows. */
async function read(contents: string | Buffer) {
  const problems = new RowProblems('rows.jsonl', false, 'line');
  const { records, blankLines } = await readJsonl(fileWith(contents), problems);
  return { rows: records.map((r) => [r.line, r.values]), blankLines, skipped: problems.skipped };
}

describe('readJsonl', () => {
  it('counts whitespace-only lines as blank, not as malformed rows', async () => {
    const out = await read('{"a":1}\n   \n\t\n{"a":2}\n');
    expect(out).toEqual({ rows: [[1, { a: 1 }], [4, { a: 2 }]], blankLines: 2, skipped: [] });
  });

  it('refuses JSON values that are not objects, saying what each one is', async () => {
    const out = await read('null\n3\n"text"\n[1]\n{"a":1}\n');
    expect(out.rows).toEqual([[5, { a: 1 }]]);
    expect(out.skipped).toEqual([
      { line: 1, reason: 'expected a JSON object, got null' },
      { line: 2, reason: 'expected a JSON object, got 3' },
      { line: 3, reason: 'expected a JSON object, got "text"' },
      { line: 4, reason: 'expected a JSON object, got an array' },
    ]);
  });

  it('reports the same rows and problems for CRLF line ends as for LF', async () => {
    const lines = ['{"a":1}', '{"a":', '', '\r{"a":3}', '{"a": "unterminated'];
    const lf = await read(`${lines.join('\n')}\n`);
    const crlf = await read(`${lines.join('\r\n')}\r\n`);
    expect(crlf).toEqual(lf);
    expect(lf.rows).toEqual([[1, { a: 1 }], [4, { a: 3 }]]);
    expect(lf.blankLines).toBe(1);
  });

  it('with undecodable bytes, still counts a blank line before the final newline', async () => {
    const bytes = Buffer.concat([Buffer.from('{"a":1}\n{"a":"'), Buffer.from([0xff]), Buffer.from('"}\n{"a":3}\n\n')]);
    const out = await read(bytes);
    expect(out.rows).toEqual([[1, { a: 1 }], [3, { a: 3 }]]);
    expect(out.blankLines).toBe(1);
    expect(out.skipped.map((s) => s.line)).toEqual([2]);
  });

  it('a file it cannot read: DatasetFormatError naming the file and the cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grpojs-jsonl-'));
    const error = await readJsonl(dir, new RowProblems(dir, true, 'line')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as Error).message).toMatch(new RegExp(`^Cannot read ${dir}: .*EISDIR.*\\.$`));
  });
});
