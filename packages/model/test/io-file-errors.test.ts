// Every failed read or write of a model file names the file and what was being done (Node's own
// messages for EISDIR on a read or ENOSPC on a write name neither), keeping the original as cause.
import * as fs from 'node:fs/promises';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../src/io/atomic-write.js';
import { ModelFileError } from '../src/io/errors.js';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { loadTokenizer } from '../src/io/tokenizer.js';
import { tempDir } from './io-helpers.js';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, open: vi.fn(actual.open) };
});

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

/** The next `open` returns a handle whose writes fail as on a full disk. */
async function nextOpenHasAFullDisk(): Promise<void> {
  const actual = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
  vi.mocked(fs.open).mockImplementationOnce(async (...args: Parameters<typeof fs.open>) => {
    const handle = await actual.open(...args);
    return new Proxy(handle, {
      get(target, key) {
        if (key === 'write' || key === 'writeFile') return () => Promise.reject(enospc());
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  });
}

async function failure(promise: Promise<unknown>): Promise<ModelFileError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ModelFileError);
  return error as ModelFileError;
}

describe('model file errors name the file and what was being done', () => {
  it('reading a folder as a safetensors file (EISDIR)', async () => {
    const dir = join(await tempDir(), 'model.safetensors');
    await mkdir(dir);
    const error = await failure(readSafetensors(dir));
    expect(error.message).toBe(`Cannot read the header length of ${dir}: it is a folder where a file was expected (EISDIR).`);
    expect(error.file).toBe(dir);
    expect((error.cause as { code?: string }).code).toBe('EISDIR');
  });

  it('a tokenizer.json that is a folder', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'tokenizer.json'));
    const error = await failure(loadTokenizer(dir));
    expect(error.message).toBe(`Cannot read the tokenizer file ${join(dir, 'tokenizer.json')}: it is a folder where a file was expected (EISDIR).`);
  });

  it('writing a safetensors file on a full disk (ENOSPC): the final name, no temporary left', async () => {
    const dir = await tempDir();
    const file = join(dir, 'adapter_model.safetensors');
    await nextOpenHasAFullDisk();
    const error = await failure(writeSafetensors(file, { w: { shape: [2], data: new Float32Array([1, 2]) } }));
    expect(error.message).toMatch(new RegExp(`^Cannot write the safetensors file ${file}: no space left on the device; free some space or choose a folder on another disk \\(ENOSPC\\)\\.$`));
    expect((error as { code?: string }).code).toBe('ENOSPC');
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('writing a JSON file atomically on a full disk (ENOSPC)', async () => {
    const dir = await tempDir();
    const file = join(dir, 'adapter_config.json');
    await writeFile(file, '{"old": true}');
    await nextOpenHasAFullDisk();
    const error = await failure(writeFileAtomic(file, '{"new": true}'));
    expect(error.message).toMatch(new RegExp(`^Cannot write ${file}: no space left on the device`));
    expect(await fs.readFile(file, 'utf8')).toBe('{"old": true}');
  });
});
