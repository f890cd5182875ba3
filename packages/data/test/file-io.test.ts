import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataError, FileAccessError, hubToken, withFileContext, withFileContextSync } from '../src/index.js';

const sysError = (code: string, message: string) => Object.assign(new Error(`${code}: ${message}`), { code, syscall: 'write' });

describe('withFileContext: a failed read or write names its file and what was being done', () => {
  it('ENOSPC, EACCES, EISDIR: the path, the action, what to do; the original as cause, its code kept', async () => {
    const enospc = sysError('ENOSPC', 'no space left on device, write');
    const error = await withFileContext('write checkpoint file', '/out/checkpoint-4/optimizer.bin', () => Promise.reject(enospc)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileAccessError);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toBe(
      'Cannot write checkpoint file /out/checkpoint-4/optimizer.bin: no space left on the device; free some space or choose a folder on another disk (ENOSPC).',
    );
    expect((error as FileAccessError).cause).toBe(enospc);
    expect((error as FileAccessError).code).toBe('ENOSPC');
    expect((error as FileAccessError).file).toBe('/out/checkpoint-4/optimizer.bin');
    expect(() => withFileContextSync('read', '/x', () => { throw sysError('EACCES', 'permission denied'); })).toThrow(/^Cannot read \/x: permission denied; check the owner/);
    expect(() => withFileContextSync('read', '/x', () => { throw sysError('EISDIR', 'illegal operation on a directory, read'); })).toThrow(/it is a folder where a file was expected \(EISDIR\)/);
  });

  it('a RangeError from a buffer that does not fit reads as a truncated file', () => {
    const read = () => withFileContextSync('read the tensors of', '/m/x.bin', () => new Float32Array(new ArrayBuffer(7)));
    expect(read).toThrow(/^Cannot read the tensors of \/m\/x\.bin: its contents do not fit what was expected; the file is truncated or corrupt \(.*multiple of 4.*\)\.$/);
  });

  it("the caller's own errors pass unchanged, and an inner wrap is not wrapped again", async () => {
    const own = new DataError('x.jsonl line 3: bad row');
    await expect(withFileContext('read', '/x', () => Promise.reject(own))).rejects.toBe(own);
    const inner = await withFileContext('write', '/a', () => Promise.reject(sysError('ENOSPC', 'write'))).catch((e: unknown) => e);
    await expect(withFileContext('save', '/b', () => Promise.reject(inner))).rejects.toBe(inner);
  });

  it('a custom error class (each package its own), still with the code', async () => {
    class CheckpointError extends Error {}
    const error = await withFileContext('write', '/c', () => Promise.reject(sysError('ENOENT', 'x')), (m, cause) => new CheckpointError(m, { cause })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as { code?: string }).code).toBe('ENOENT');
  });
});

describe('reads and writes of @grpojs/data', () => {
  const saved = { HF_TOKEN: process.env.HF_TOKEN, HF_TOKEN_PATH: process.env.HF_TOKEN_PATH };
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('a hub token file that is a folder: the error names the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'file-io-'));
    const tokenPath = join(dir, 'token');
    mkdirSync(tokenPath);
    delete process.env.HF_TOKEN;
    process.env.HF_TOKEN_PATH = tokenPath;
    expect(() => hubToken()).toThrow(`Cannot read the hub token file ${tokenPath}: it is a folder where a file was expected (EISDIR).`);
  });
});
