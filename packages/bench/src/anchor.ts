/**
 * The same-run PyTorch anchor: runs anchor/torch_grpo_step.py (the bench's work unit in plain eager
 * torch, fp32 base) with the Python the CLI names, and parses its JSON, so every table of
 * `pnpm bench` has a ratio measured on the same machine in the same invocation.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gpt2ConfigToJson, llamaConfigToJson } from '@grpojs/model';
import type { ModelShape } from './options.js';
import { modelConfig } from './setup.js';

/** The anchor script (the same path from src/ under vitest and from dist/ when built). */
export const ANCHOR_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'anchor', 'torch_grpo_step.py');

/** The Python that has torch: GRPOJS_BENCH_PYTHON, else Debian's /usr/bin/python3. `env` is the CLI's process.env. */
export function anchorPython(env: Record<string, string | undefined>): string {
  return env.GRPOJS_BENCH_PYTHON || '/usr/bin/python3';
}

/** Seconds of one phase, as grpo-step.ts's StepTimes (without the CPU breakdown). */
export interface AnchorTimes {
  rollout: number;
  reference: number;
  training: number;
  optimizer: number;
  total: number;
}

/** What the anchor measured for one model shape (medians of its timed steps). */
export interface AnchorResult {
  torch: string;
  threads: number;
  /** OMP_WAIT_POLICY the anchor ran with (torch's OpenMP threads spin by default). */
  ompWaitPolicy: string;
  checkpointing: boolean;
  runs: number;
  median: AnchorTimes;
  rolloutTokensPerSecond: number;
  trainingTokensPerSecond: number;
  loadavgBefore: number[];
  loadavgAfter: number[];
}

/** The anchor's output was not the JSON it promises; the message names the field. */
export class AnchorOutputError extends Error {
  override name = 'AnchorOutputError';
}

const PHASES = ['rollout', 'reference', 'training', 'optimizer', 'total'] as const;

function positive(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new AnchorOutputError(`torch anchor output: ${field} should be a positive number, got ${JSON.stringify(value)}.`);
  }
  return value;
}

/** Parses the anchor's stdout (one JSON object; log lines go to stderr) and checks every timed field. */
export function parseAnchorOutput(stdout: string): AnchorResult {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(stdout.trim()) as Record<string, unknown>;
  } catch (e) {
    throw new AnchorOutputError(`torch anchor output is not JSON (${(e as Error).message}): ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  if (raw === null || typeof raw !== 'object') throw new AnchorOutputError(`torch anchor output should be a JSON object, got ${JSON.stringify(raw)}.`);
  const median = raw.median as Record<string, unknown> | undefined;
  if (!median || typeof median !== 'object') throw new AnchorOutputError('torch anchor output: median is missing.');
  const times = Object.fromEntries(PHASES.map((p) => [p, positive(median[p], `median.${p}`)])) as unknown as AnchorTimes;
  if (!Array.isArray(raw.runs) || raw.runs.length === 0) throw new AnchorOutputError('torch anchor output: runs should be a non-empty array.');
  const loads = (k: string) => (Array.isArray(raw[k]) ? (raw[k] as number[]) : []);
  return {
    torch: String(raw.torch ?? '?'),
    threads: positive(raw.threads, 'threads'),
    ompWaitPolicy: String(raw.ompWaitPolicy ?? 'default'),
    checkpointing: raw.checkpointing === true,
    runs: raw.runs.length,
    median: times,
    rolloutTokensPerSecond: positive(raw.rolloutTokensPerSecond, 'rolloutTokensPerSecond'),
    trainingTokensPerSecond: positive(raw.trainingTokensPerSecond, 'trainingTokensPerSecond'),
    loadavgBefore: loads('loadavgBefore'),
    loadavgAfter: loads('loadavgAfter'),
  };
}

function run(python: string, args: string[], passStderr: boolean, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((res, rej) => {
    const child = execFile(python, [ANCHOR_SCRIPT, ...args], { maxBuffer: 1 << 26, env }, (err, stdout, stderr) => {
      if (err) {
        const last = String(stderr).trim().split('\n').pop() || err.message;
        rej(new Error(last));
      } else res(String(stdout));
    });
    if (passStderr) child.stderr?.pipe(process.stderr);
  });
}

/** Whether `python` can run the anchor: its torch version, or why not (the import error's last line). */
export async function probeAnchor(python: string): Promise<{ ok: true; torch: string } | { ok: false; reason: string }> {
  try {
    const out = JSON.parse(await run(python, ['--probe'], false)) as { torch: string };
    return { ok: true, torch: out.torch };
  } catch (e) {
    return { ok: false, reason: `${python}: ${(e as Error).message}` };
  }
}

/** How to run the anchor for one shape; mirrors the grpojs configuration it is compared with. */
export interface AnchorRun {
  model: ModelShape;
  runs: number;
  threads: number;
  microBatch: number;
  checkpointing: boolean;
  workUnit: { sequences: number; promptTokens: number; newTokens: number };
  /**
   * OMP_WAIT_POLICY for torch's OpenMP threads. The bench passes PASSIVE unless the caller's
   * environment sets one: with torch's default (spin, then sleep) the spinning OpenMP threads and
   * OpenBLAS's own thread pool fight over the cores. Measured on the idle 2-core VM, SmolLM2-135M
   * shape: 96.9 s per step spinning, 43.4 s passive; anything less would flatter grpojs.
   */
  ompWaitPolicy: string;
}

/** The HF config.json of a bench shape, from setup.ts's configs (one source for both sides). */
export function anchorConfigJson(model: ModelShape): Record<string, unknown> {
  const shape = modelConfig(model);
  return shape.kind === 'gpt2' ? gpt2ConfigToJson(shape.config) : llamaConfigToJson(shape.config);
}

/** Runs the anchor for one shape (its progress lines go to stderr) and returns its medians. */
export async function runAnchor(python: string, spec: AnchorRun): Promise<AnchorResult> {
  const dir = await mkdtemp(join(tmpdir(), 'grpojs-anchor-'));
  try {
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify(anchorConfigJson(spec.model)));
    const args = [
      '--config', config,
      '--rows', String(spec.workUnit.sequences),
      '--prompt-tokens', String(spec.workUnit.promptTokens),
      '--new-tokens', String(spec.workUnit.newTokens),
      '--micro-batch', String(spec.microBatch),
      '--runs', String(spec.runs),
      '--threads', String(spec.threads),
      ...(spec.checkpointing ? ['--checkpointing'] : []),
    ];
    return parseAnchorOutput(await run(python, args, true, { ...process.env, OMP_WAIT_POLICY: spec.ompWaitPolicy }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
