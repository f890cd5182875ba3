/**
 * Issue 11, item 8, through the built CLI: a hub token in the environment that also appears in a
 * run name and in a path never reaches the terminal, neither in --print-config nor in an error.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const HF = 'hf_PlantedHubToken0123456789';

describe.skipIf(!existsSync(CLI))('the CLI never prints a secret (built CLI; run `pnpm build` first)', () => {
  const cwd = tempDir('grpojs-secrets-');
  const env: NodeJS.ProcessEnv = { ...process.env, HF_TOKEN: HF, HF_HUB_OFFLINE: '1' };
  delete env.npm_lifecycle_event;
  const cli = (args: string[]) =>
    run(process.execPath, [CLI, ...args], { cwd, env, timeout: 60_000 }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );

  it('--print-config with the token in the run name', async () => {
    const { code, out } = await cli(['train', '--print-config', '--run-name', `exp-${HF}`]);
    expect(code).toBe(0);
    expect(out).toContain('"runName": "exp-[redacted]"');
    expect(out).not.toContain(HF);
  });

  it('an error that quotes a path with the token in it', async () => {
    const { code, out } = await cli(['train', '--data', join(cwd, HF, 'missing.jsonl'), '--report-to', 'console']);
    expect(code).not.toBe(0);
    expect(out).toContain('[redacted]');
    expect(out).not.toContain(HF);
  });
});
