/**
 * The `sft` command: supervised fine-tuning of a model folder (or hub id) on JSONL rows in TRL's
 * SFT shapes ({"prompt","completion"}, conversational {"messages"} or {"prompt": [...], "completion": [...]},
 * or {"text"}), with LoRA adapters or full fine-tuning; SFTConfig fields are flags generated from
 * the SFTConfigSchema (TRL names camelCased). Progress goes to the console and a run directory
 * (metrics.jsonl, report.html) under outputDir/runs.
 */
import { Command, Option } from 'commander';
import { join } from 'node:path';
import {
  ConsoleTracker,
  DEFAULT_CHAT_TEMPLATE,
  MultiTracker,
  RowProblems,
  RunDirTracker,
  SFTConfigSchema,
  SFTTrainer,
  loadCausalLM,
  readJsonl,
  renderChatTemplate,
  type SFTRow,
} from '../../index.js';
import type { z } from 'zod';
import { initJobRuntime } from '../../runtime-options.js';
import { CliUsageError } from '../errors.js';
import { aliasOptions, fieldOption, flagValues } from '../flags.js';
import { schemaFields } from '../schema-fields.js';

/** The SFT-only flags (the SFTConfig fields are added from the schema). */
export interface SftFlags {
  model: string;
  trainFile: string;
  evalFile?: string;
  fullFineTuning?: boolean;
  loraR: number;
  loraAlpha: number;
  loraTargetModules?: string;
  resume?: string;
}

const HEADING = 'SFT trainer options (TRL SFTConfig names, camelCased):';
const sftFields = () => schemaFields(SFTConfigSchema as unknown as z.ZodObject);

/** Adds the SFTConfig flags (and their TRL snake_case and --no- spellings) to `command`. */
export function withSftConfigOptions(command: Command): Command {
  for (const field of sftFields()) {
    const option = fieldOption(field, HEADING);
    if (field.name === 'outputDir') option.description = `${field.description} (default: outputs/sft)`;
    command.addOption(option);
    for (const alias of aliasOptions(field, HEADING)) command.addOption(alias);
  }
  return command;
}

/** Why a JSONL row is not one of the SFT shapes, or undefined. */
function rowProblem(values: Record<string, unknown>): string | undefined {
  if ('prompt' in values || 'completion' in values) return 'completion' in values && 'prompt' in values ? undefined : 'has "prompt" without "completion" or the reverse';
  if ('messages' in values || typeof values.text === 'string') return undefined;
  return 'has none of the SFT fields: "prompt" + "completion", "messages" or "text"';
}

async function readRows(file: string): Promise<SFTRow[]> {
  const { records } = await readJsonl(file, new RowProblems(file, true, 'line'), rowProblem);
  return records.map((r) => r.values as unknown as SFTRow);
}

/** Runs SFT from the command line. */
export async function runSft(flags: SftFlags, opts: Record<string, unknown>): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const names = sftFields().map((f) => f.name);
  const config = flagValues(opts, names);
  if (flags.fullFineTuning && flags.loraTargetModules !== undefined) throw new CliUsageError('--full-fine-tuning trains every projection; it cannot be combined with --lora-target-modules.');
  const trainDataset = await readRows(flags.trainFile);
  const evalDataset = flags.evalFile !== undefined ? await readRows(flags.evalFile) : undefined;
  // The GRPOJS_* switches of the environment apply, as to train, generate and serve (docs/accel.md).
  await initJobRuntime({ backend: null, accel: true }, log);
  const model = await loadCausalLM(flags.model, {
    ...(flags.fullFineTuning
      ? { fullFineTuning: true }
      : { lora: { r: flags.loraR, alpha: flags.loraAlpha, ...(flags.loraTargetModules !== undefined ? { targetModules: flags.loraTargetModules.split(',') } : {}) } }),
    log,
  });
  const tokenizer = model.tokenizer;
  if (tokenizer === undefined) throw new CliUsageError(`${flags.model} has no tokenizer files (tokenizer.json).`);
  const outputDir = typeof config.outputDir === 'string' ? config.outputDir : 'outputs/sft';
  const trainer = new SFTTrainer({
    model,
    tokenizer,
    trainDataset,
    ...(evalDataset ? { evalDataset } : {}),
    config: { ...config, outputDir },
    // The tokenizer's chat template, else the seed's "role: content" lines (as promptFormat auto).
    renderMessages: (messages, addGenerationPrompt) =>
      renderChatTemplate(messages, { chatTemplate: tokenizer.chatTemplate ?? DEFAULT_CHAT_TEMPLATE, addGenerationPrompt, context: { ...tokenizer.specialTokensMap } }),
    tracker: new MultiTracker([new ConsoleTracker(), new RunDirTracker({ runsDir: join(outputDir, 'runs') })]),
    runConfig: { model: flags.model, trainFile: flags.trainFile, fullFineTuning: flags.fullFineTuning === true, ...(flags.fullFineTuning ? {} : { loraR: flags.loraR, loraAlpha: flags.loraAlpha, loraTargetModules: flags.loraTargetModules ?? null }) },
    modelIdentity: { source: flags.model },
  });
  try {
    if (flags.resume !== undefined) await trainer.resume(flags.resume);
    const result = await trainer.train();
    log(`SFT done: ${result.globalStep}/${result.totalSteps} steps; model saved to ${outputDir} (last checkpoint ${result.lastCheckpoint}).`);
  } finally {
    trainer.dispose();
  }
}

/** The `sft` command with its flags. */
export function addSftCommand(program: Command): void {
  withSftConfigOptions(
    program
      .command('sft')
      .description('supervised fine-tuning (TRL SFTTrainer semantics) on JSONL rows: prompt/completion, messages or text (docs/sft.md)')
      .requiredOption('--model <idOrDir>', 'model folder or hub id')
      .requiredOption('--train-file <file>', 'JSONL training rows')
      .option('--eval-file <file>', 'JSONL rows whose loss is reported as eval_loss')
      .option('--full-fine-tuning', 'train every projection instead of LoRA adapters (fp32 base)')
      .addOption(new Option('--lora-r <int>', 'LoRA rank').default(16).argParser(Number))
      .addOption(new Option('--lora-alpha <number>', 'LoRA alpha').default(32).argParser(Number))
      .option('--lora-target-modules <names>', 'comma-separated PEFT module names or all-linear (default: the architecture\'s)')
      .option('--resume <checkpoint>', 'continue the run in outputDir from "latest" or a checkpoint-<step> folder'),
  ).action((flags: SftFlags, command: Command) => runSft(flags, command.opts()));
}
