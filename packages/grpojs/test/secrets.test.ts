/**
 * A job with secrets planted where a user could paste them (the run name, the data path) and in
 * the environment: no file or folder name it writes (report.json, checkpoints' trainer_state.json,
 * the run directory's config.json and report.html) and no log line holds them.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRewards, train, writeTinyGPT2 } from '../src/index.js';

const HF = 'hf_PlantedHubToken0123456789';
const WANDB = 'PlantedWandbKey0123456789abcdef0123456789';
const saved = { HF_TOKEN: process.env.HF_TOKEN, WANDB_API_KEY: process.env.WANDB_API_KEY };

/** Every file and folder under `root`: its path relative to root, and its text. */
function everything(root: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const folder = statSync(path).isDirectory();
      out.push({ path: relative(root, path), text: folder ? '' : readFileSync(path, 'latin1') });
      if (folder) walk(path);
    }
  };
  walk(root);
  return out;
}

const work = mkdtempSync(join(tmpdir(), 'grpojs-secrets-'));
const lines: string[] = [];

beforeAll(async () => {
  process.env.HF_TOKEN = HF;
  process.env.WANDB_API_KEY = WANDB;
  // A data folder whose name is the token: the `data` option then holds it.
  const dataDir = join(work, HF);
  mkdirSync(dataDir);
  const rows = [
    ['Ann has 3 pens and buys 4 more. How many pens does she have?', 'She has 3+4=7 pens.\n#### 7'],
    ['A box has 5 rows of 6 eggs. How many eggs are in the box?', 'There are 5*6=30 eggs.\n#### 30'],
  ];
  writeFileSync(join(dataDir, 'train.jsonl'), rows.map(([question, answer]) => JSON.stringify({ question, answer })).join('\n') + '\n');
  const log = { info: (line: string) => lines.push(line), warn: (line: string) => lines.push(line) };
  await train(
    {
      model: await writeTinyGPT2(join(work, 'tiny')),
      data: join(dataDir, 'train.jsonl'),
      outputDir: join(work, 'out'),
      runName: `exp-${HF}-${WANDB}`,
      reportTo: ['local'],
      runsDir: join(work, 'runs'),
      maxSteps: 1,
      perDeviceTrainBatchSize: 2,
      numGenerations: 2,
      gradientAccumulationSteps: 1,
      maxPromptLength: 96,
      maxCompletionLength: 4,
      saveSteps: 1,
      evalSteps: 0,
      evalSplit: null,
    },
    { logger: log, cwd: work, rewardFunctions: defaultRewards },
  );
}, 300_000);

afterAll(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe('train() keeps secrets out of everything it writes and logs', () => {
  it('report.json, the checkpoint, the adapter and the run directory: names and contents', () => {
    const files = [...everything(join(work, 'out')).map((f) => ({ ...f, path: `out/${f.path}` })), ...everything(join(work, 'runs')).map((f) => ({ ...f, path: `runs/${f.path}` }))];
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['out/report.json', 'out/checkpoint-1/trainer_state.json']));
    expect(files.some((f) => f.path.endsWith('config.json') && f.path.startsWith('runs/'))).toBe(true);
    expect(files.some((f) => f.path.endsWith('report.html'))).toBe(true);
    for (const file of files) {
      for (const secret of [HF, WANDB]) {
        expect(file.path.includes(secret), `the name ${file.path}`).toBe(false);
        expect(file.text.includes(secret), `${file.path} holds ${secret}`).toBe(false);
      }
    }
    const report = JSON.parse(readFileSync(join(work, 'out', 'report.json'), 'utf8')) as { config: { runName: string; data: string } };
    expect(report.config.runName).toBe('exp-[redacted]-[redacted]');
    expect(report.config.data).toContain('[redacted]');
  });

  it('log lines', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((line) => line.includes('[redacted]'))).toBe(true);
    for (const line of lines) for (const secret of [HF, WANDB]) expect(line.includes(secret), line).toBe(false);
  });
});
