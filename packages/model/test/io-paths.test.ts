import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnsafePathError } from '@grpojs/data';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensorsFolder } from '../src/io/hf-folder.js';
import { resolveModelFiles } from '../src/io/hub-files.js';
import { writeSafetensors } from '../src/io/safetensors.js';
import { type FakeHub, startFakeHub } from './io-hub-server.js';
import { tempDir } from './io-helpers.js';

// Shard names come from model.safetensors.index.json, a downloaded file: they must stay in the model folder.
const HOSTILE_SHARDS = ['../outside.safetensors', '/etc/passwd', 'sub/../../outside.safetensors', 'a\u0000.safetensors'];

describe('shard names from model.safetensors.index.json stay inside the model folder', () => {
  it('a local folder whose index points outside it is refused, naming the index, the tensor and the shard', async () => {
    const root = await tempDir();
    const dir = join(root, 'model');
    await writeSafetensors(join(root, 'outside.safetensors'), { w: { shape: [1], data: new Float32Array([1]) } });
    await mkdir(dir);
    for (const shard of HOSTILE_SHARDS) {
      await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { w: shard } }));
      const error = await readSafetensorsFolder(dir).catch((e: unknown) => e);
      expect(error, shard).toBeInstanceOf(UnsafePathError);
      expect((error as Error).message).toContain(`${join(dir, 'model.safetensors.index.json')} weight_map["w"]`);
      expect((error as Error).message).toMatch(/shard file name .* must be a relative file path inside its folder/);
    }
  });

  describe('a hub repository whose index names a shard outside the snapshot', () => {
    let hub: FakeHub;
    afterAll(async () => hub?.close());

    it('is refused before anything is downloaded for it', async () => {
      hub = await startFakeHub([
        {
          id: 'evil/sharded',
          commit: 'c'.repeat(40),
          files: {
            'config.json': Buffer.from('{"model_type":"gpt2"}'),
            'model.safetensors.index.json': Buffer.from(JSON.stringify({ weight_map: { 'lm_head.weight': '../../../../escape.safetensors' } })),
          },
        },
      ]);
      const cacheDir = await tempDir();
      const error = await resolveModelFiles('evil/sharded', { endpoint: hub.url, cacheDir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsafePathError);
      expect((error as Error).message).toMatch(/shard file name "\.\.\/\.\.\/\.\.\/\.\.\/escape\.safetensors" \(.*model\.safetensors\.index\.json weight_map\["lm_head\.weight"\]\)/);
    });
  });
});
