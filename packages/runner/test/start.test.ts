/**
 * `pnpm --filter runner start -- <args>`: the thin runner hands the arguments to the umbrella's
 * CLI with pnpm's `--` dropped, from the folder the user typed the command in (INIT_CWD), not
 * packages/runner; and it claims no `grpojs` bin of its own (the grpojs package has it).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(packageDir, 'dist/cli.js');

describe('@grpojs/runner', () => {
  it('leaves the grpojs bin to the grpojs package', () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { bin?: unknown };
    expect(manifest.bin).toBeUndefined();
  });

  it.skipIf(!existsSync(CLI))('`start -- score file` reads the file relative to INIT_CWD (built)', async () => {
    const userDir = mkdtempSync(join(tmpdir(), 'grpojs-runner-start-'));
    writeFileSync(join(userDir, 'completions.jsonl'), `${JSON.stringify({ completion: '<reasoning>2+2</reasoning><answer>4</answer>', answer: '4' })}\n`);
    const env = { ...process.env, npm_lifecycle_event: 'start', INIT_CWD: userDir };
    const { stdout } = await run(process.execPath, [CLI, '--', 'score', 'completions.jsonl', '--json'], { cwd: packageDir, env, timeout: 60_000 });
    expect(JSON.parse(stdout)).toMatchObject({ rows: 1 });
  }, 70_000);
});
