// A secret pasted into a run name or a config field, or sitting in the environment or .env, must
// land in no file, folder name, console line or warning that tracking writes.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsoleTracker, RunDirTracker, WandbTracker, createTrackers, redactLogger } from '../src/index.js';

const HF = 'hf_PlantedHubToken0123456789';
const WANDB = 'PlantedWandbKey0123456789abcdef0123456789';
const OPTION_TOKEN = 'hf_PlantedOptionToken987654321';
const SECRETS = [HF, WANDB, OPTION_TOKEN];

/** Every file and folder under `root`: its path relative to root, and its text. */
function everything(root: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const folder = statSync(path).isDirectory();
      out.push({ path: relative(root, path), text: folder ? '' : readFileSync(path, 'utf8') });
      if (folder) walk(path);
    }
  };
  walk(root);
  return out;
}

function expectNoSecret(where: string, text: string): void {
  for (const secret of SECRETS) expect(text.includes(secret), `${where} holds ${secret}`).toBe(false);
}

const plantedRun = {
  name: `exp ${HF} ${WANDB} ${OPTION_TOKEN}`,
  config: { learningRate: 1e-5, data: `https://mirror.example/${HF}/gsm8k`, notes: `key ${WANDB}`, nested: { list: [OPTION_TOKEN] } },
  totalSteps: 2,
};

describe('secrets never land in what tracking writes or prints', () => {
  it('createTrackers: run dir (folder name, config.json, summary.json, report.html), console, W&B offline run, warnings', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'secrets-'));
    // The W&B key only in .env, the hub token in the environment, a third one given as an option.
    writeFileSync(join(cwd, '.env'), `WANDB_API_KEY=${WANDB}\n`);
    const env: NodeJS.ProcessEnv = { HF_TOKEN: HF, WANDB_MODE: 'offline', WANDB_PROJECT: 'p' };
    let printed = '';
    const warnings: string[] = [];
    const trackers = createTrackers({
      reportTo: ['console', 'local', 'wandb'],
      cwd,
      env,
      secrets: [OPTION_TOKEN],
      warn: (line) => warnings.push(line),
      console: { stream: { write: (text: string) => (printed += text) } },
      wandb: { info: (line) => warnings.push(line) },
    });
    await trackers.init(plantedRun);
    await trackers.log({ loss: 1 }, 1);
    await trackers.summary({ note: `done ${HF}`, eval_accuracy: 0.5 });
    await trackers.finish();

    const files = everything(cwd).filter((f) => f.path !== '.env');
    expect(files.some((f) => f.path.endsWith('report.html'))).toBe(true);
    expect(files.some((f) => f.path.endsWith('run.json'))).toBe(true);
    for (const file of files) {
      expectNoSecret(`the name ${file.path}`, file.path);
      expectNoSecret(file.path, file.text);
    }
    expectNoSecret('the console', printed);
    expect(printed).toContain('run exp [redacted] [redacted] [redacted]');
    for (const line of warnings) expectNoSecret('a warning', line);
    const runJson = files.find((f) => f.path.endsWith('run.json'))!;
    expect(JSON.parse(runJson.text)).toMatchObject({ name: 'exp [redacted] [redacted] [redacted]', config: { notes: 'key [redacted]' } });
  });

  it('each tracker alone redacts the environment secrets by default', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'secrets-'));
    const saved = { HF_TOKEN: process.env.HF_TOKEN, WANDB_API_KEY: process.env.WANDB_API_KEY };
    process.env.HF_TOKEN = HF;
    process.env.WANDB_API_KEY = WANDB;
    try {
      const local = new RunDirTracker({ cwd });
      await local.init({ ...plantedRun, name: `x-${HF}` });
      await local.finish();
      let printed = '';
      const console_ = new ConsoleTracker({ stream: { write: (text: string) => (printed += text) } });
      await console_.init({ ...plantedRun, name: `x-${WANDB}` });
      await console_.summary({ note: HF });
      expectNoSecret('the console', printed);
      const wandb = new WandbTracker({ cwd, env: { ...process.env, WANDB_MODE: 'offline' }, info: () => undefined });
      await wandb.init({ ...plantedRun, name: `x-${HF}` });
      await wandb.finish();
      for (const file of everything(cwd)) {
        expectNoSecret(`the name ${file.path}`, file.path);
        if (!file.text.includes(OPTION_TOKEN)) expectNoSecret(file.path, file.text);
      }
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('a warning that quotes a path with a secret in it is redacted', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'secrets-'));
    writeFileSync(join(cwd, 'a-file'), '');
    const warnings: string[] = [];
    const trackers = createTrackers({
      reportTo: ['local'],
      cwd,
      env: { HF_TOKEN: HF },
      loadDotenv: false,
      warn: (line) => warnings.push(line),
      local: { runsDir: join(cwd, 'a-file', HF) }, // not creatable: a file is in the way
    });
    await trackers.init({ name: 'r', config: {} });
    expect(warnings.length).toBeGreaterThan(0);
    for (const line of warnings) expectNoSecret('a warning', line);
    expect(warnings.join('\n')).toContain('[redacted]');
  });

  it('redactLogger redacts every string and error a logger is given', () => {
    const lines: unknown[][] = [];
    const logger = redactLogger({ info: (...args: unknown[]) => lines.push(args), warn: (...args: unknown[]) => lines.push(args) }, [HF]);
    logger.info(`loaded ${HF}`, 3);
    logger.warn(new Error(`failed with ${HF}`));
    expect(lines).toEqual([['loaded [redacted]', 3], ['failed with [redacted]']]);
  });
});
