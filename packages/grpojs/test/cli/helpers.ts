/** Runs the CLI program in-process and captures what it prints. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { createProgram } from '../../src/cli/program.js';

/** Output of one in-process run: stdout text, stderr text, and the thrown error if any. */
export interface RunResult {
  stdout: string;
  stderr: string;
  error: unknown;
}

/** Parses `args` (without `node grpojs`) with the real program; commander's exits become errors. */
export async function runProgram(args: string[]): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const program = createProgram();
  const capture = (cmd: typeof program) => {
    cmd.exitOverride().configureOutput({ writeOut: (s) => void (stdout += s), writeErr: (s) => void (stderr += s) });
    cmd.commands.forEach((sub) => capture(sub as typeof program));
  };
  capture(program);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  let error: unknown;
  try {
    await program.parseAsync(['node', 'grpojs', ...args]);
  } catch (e) {
    error = e;
  } finally {
    spy.mockRestore();
  }
  return { stdout, stderr, error };
}

/** `--print-config` output parsed back, or the error message. */
export async function printedConfig(args: string[]): Promise<Record<string, unknown>> {
  const result = await runProgram(['--print-config', ...args]);
  if (result.error) throw result.error;
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'grpojs-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
