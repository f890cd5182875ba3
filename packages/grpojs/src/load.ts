/**
 * Loading what a job needs from its options: the GSM8K rows (train and eval, as trainer
 * PromptRows; eval rows are never the training rows) and the policy model (quantized base + LoRA).
 * Hub failures become one HubUnavailableError that says how to run from local files instead.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  HubOfflineError,
  HubUnreachableError,
  UnknownSplitError,
  holdOut,
  loadGsm8k,
  locateSplit,
  type Gsm8kDataset,
  type Gsm8kExample,
  type Holdout,
} from '@grpojs/data';
import { ModelFilesNotFoundError, embeddedGPT2Tokenizer, loadCausalLM, loadTokenizer, type CausalLM, type TextTokenizer } from '@grpojs/model';
import type { PromptRow } from '@grpojs/rl';
import { HubUnavailableError, TrainConfigError } from './errors.js';
import type { JobOptions } from './job-options.js';
import { renderPrompt, resolvePromptFormat, type ResolvedPromptFormat } from './prompt-format.js';
import { initJobRuntime } from './runtime-options.js';

/** True for errors that mean "the hub was needed and could not be used". */
export function isHubFailure(error: unknown, source: string): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof HubUnreachableError || e instanceof HubOfflineError) return true;
    // @grpojs/model re-words hub failures as ModelFilesNotFoundError("Cannot get model …").
    if (e instanceof ModelFilesNotFoundError && !existsSync(source) && /hub/i.test(e.message)) return true;
  }
  return false;
}

/** A local path is passed on absolute, so the saved adapter_config.json records where the base is. */
function sourcePath(source: string): string {
  return existsSync(source) ? resolve(source) : source;
}

/**
 * The job's hub settings as loader options, leaving out the unset ones (null in the job options) so
 * each loader's own default applies. Internal to this package.
 */
export function jobHubOptions(job: JobOptions): { cacheDir?: string; offline?: true } {
  return { ...(job.cacheDir !== null ? { cacheDir: job.cacheDir } : {}), ...(job.offline ? { offline: true as const } : {}) };
}

/** The trainer's row: the rendered prompt plus the columns reward functions read. */
function toPromptRow(example: Gsm8kExample): PromptRow {
  return { prompt: example.prompt, question: example.question, answer: example.answer };
}

/** Train and eval rows of a job (eval is empty when evalSplit is null). */
export interface JobData {
  train: PromptRow[];
  eval: PromptRow[];
}

/** What {@link loadJobData} loads. */
export interface LoadJobDataOptions {
  /** Rows of the eval split to keep (the trainer's evalMaxSamples); null = all. */
  evalLimit?: number | null;
  /** Load only the eval split (train stays empty), e.g. to evaluate a saved adapter. */
  evalOnly?: boolean;
  /** The trainer's seed, which draws the evalHoldout rows; required with evalHoldout, so train() and evaluate() hold out the same rows. */
  seed?: number;
  /** Where the holdout line and the warnings about rows without a final answer go (default console). */
  logger?: Pick<Console, 'info' | 'warn'>;
}

/** The ways to evaluate on rows that are not trained on, named with their CLI flags. */
const EVAL_WAYS =
  'Give eval rows with evalData (CLI: --eval-data <file or folder>), hold out part of the training rows with evalHoldout ' +
  '(CLI: --eval-holdout 0.1 for 10%, or a row count), or train without evaluation with evalSplit null (CLI: --eval-split null).';

function evalOnTrainingRows(reason: string): TrainConfigError {
  return new TrainConfigError('config', [{ field: 'evalData', message: `evaluation would run on the training rows: ${reason}. ${EVAL_WAYS}` }]);
}

/** Why the eval split is the training data, from the options alone (before anything is read or downloaded); null when it is not. */
function evalIsTrainingSplit(job: JobOptions): string | null {
  const source = job.evalData ?? job.data;
  if (source === job.data && job.evalSplit === job.trainSplit) return `evalSplit "${job.evalSplit}" is trainSplit, of the same data ${job.data}`;
  if (job.evalData === null && existsSync(job.data) && statSync(job.data).isFile()) {
    return `data ${resolve(job.data)} is a single file (no separate eval split) and evalData is not set`;
  }
  return null;
}

/** Files as the OS sees them (hub cache entries and local copies can be links to one file). */
function realFiles(files: readonly string[]): Set<string> {
  return new Set(files.map((file) => (existsSync(file) ? realpathSync(file) : resolve(file))));
}

/** The training split's local files, for evaluate(), which does not load them; [] for a hub source (never downloaded for this). */
async function localTrainFiles(job: JobOptions): Promise<string[]> {
  if (!existsSync(job.data)) return [];
  return locateSplit(sourcePath(job.data), job.trainSplit, { config: job.dataConfig }).then(
    (located) => located.files,
    () => [],
  );
}

/** A loud warning for loaded rows whose solution has no `#### <answer>` (loadGsm8k refuses data where no row has one). */
function warnUnanswered(set: Gsm8kDataset, part: string, logger: Pick<Console, 'warn'>): void {
  const rows = set.stats.withoutFinalAnswerRows;
  if (rows.length === 0) return;
  const first = rows.slice(0, 5).map((row) => row.line);
  logger.warn(
    `grpojs: warning: ${rows.length} of ${set.rows.length} ${part} rows of ${[...new Set(rows.map((row) => row.file))].join(', ')} have no ` +
      `"#### <answer>" final answer (${set.format === 'jsonl' ? 'lines' : 'rows'} ${first.join(', ')}${rows.length > first.length ? ', …' : ''}); ` +
      'their correctness rewards and accuracy compare completions with an empty answer. Fix or remove these rows.',
  );
}

/**
 * Loads the train split and (unless evalSplit is null) the eval split, prompts rendered with the
 * seed template; {@link renderPrompts} renders them in the job's resolved prompt format. With
 * evalHoldout the eval rows are drawn from the training data instead (see holdOut in @grpojs/data).
 * @throws TrainConfigError when the eval rows would be the training rows (a single-file data without
 *   evalData, evalSplit = trainSplit, evalData naming the training file, every eval question a
 *   training question) or the eval split does not exist, naming the ways to evaluate on other rows.
 */
export async function loadJobData(job: JobOptions, options: LoadJobDataOptions = {}): Promise<JobData> {
  const logger = options.logger ?? console;
  const hub = jobHubOptions(job);
  const load = async (source: string, split: string, limit: number | null | undefined) => {
    try {
      return await loadGsm8k({ source: sourcePath(source), split, config: job.dataConfig, systemPrompt: job.systemPrompt, ...(limit ? { limit } : {}), ...hub });
    } catch (error) {
      if (isHubFailure(error, source)) throw new HubUnavailableError('data', source, error);
      throw error;
    }
  };
  if (job.evalHoldout !== null) return holdOutJobData(job, options, await load(job.data, job.trainSplit, null), logger);
  const sameSplit = job.evalSplit === null ? null : evalIsTrainingSplit(job);
  if (sameSplit !== null) throw evalOnTrainingRows(sameSplit);
  const train = options.evalOnly ? null : await load(job.data, job.trainSplit, job.maxTrainSamples);
  if (train !== null) warnUnanswered(train, 'training', logger);
  let evalSet: Gsm8kDataset | null = null;
  if (job.evalSplit !== null) {
    const source = job.evalData ?? job.data;
    evalSet = await load(source, job.evalSplit, options.evalLimit).catch((error: unknown) => {
      if (!(error instanceof UnknownSplitError)) throw error;
      throw new TrainConfigError('config', [{ field: 'evalSplit', message: `${error.message} ${EVAL_WAYS}` }]);
    });
    const trainFiles = realFiles(train?.files ?? (await localTrainFiles(job)));
    const shared = [...realFiles(evalSet.files)].filter((file) => trainFiles.has(file));
    if (shared.length > 0) throw evalOnTrainingRows(`the eval data ${source} (split ${job.evalSplit}) reads ${shared.join(', ')}, which the training split reads too`);
    if (train !== null) {
      const trained = new Set(train.rows.map((row) => row.question));
      const seen = evalSet.rows.filter((row) => trained.has(row.question)).length;
      if (seen === evalSet.rows.length) throw evalOnTrainingRows(`every one of the ${seen} eval questions of ${evalSet.files.join(', ')} is also a training question`);
      if (seen > 0) logger.warn(`grpojs: warning: ${seen} of ${evalSet.rows.length} eval questions of ${evalSet.files.join(', ')} are also training questions; their scores overstate generalization.`);
    }
    warnUnanswered(evalSet, 'eval', logger);
  }
  return { train: (train?.rows ?? []).map(toPromptRow), eval: (evalSet?.rows ?? []).map(toPromptRow) };
}

/** The training data split by evalHoldout: eval rows drawn with the seed, training rows the rest; each part then cut to its limit. */
function holdOutJobData(job: JobOptions, options: LoadJobDataOptions, all: Gsm8kDataset, logger: Pick<Console, 'info' | 'warn'>): JobData {
  const size = job.evalHoldout as number;
  if (options.seed === undefined) {
    throw new TypeError("loadJobData: evalHoldout needs options.seed (the trainer's seed), so that train() and evaluate() hold out the same rows.");
  }
  let parts: Holdout;
  try {
    parts = holdOut(all.rows.length, size, options.seed);
  } catch (error) {
    throw new TrainConfigError('config', [{ field: 'evalHoldout', message: `${(error as Error).message} (CLI: --eval-holdout)` }]);
  }
  warnUnanswered(all, 'training and held-out', logger);
  logger.info(
    `grpojs: held out ${parts.eval.length} of ${all.rows.length} rows of ${all.files.join(', ')} for evaluation (evalHoldout ${size}, seed ${options.seed}); they are not trained on`,
  );
  const take = (indices: number[], limit: number | null | undefined) => (limit ? indices.slice(0, limit) : indices).map((i) => toPromptRow(all.rows[i]));
  return { train: options.evalOnly ? [] : take(parts.train, job.maxTrainSamples), eval: take(parts.eval, options.evalLimit) };
}

/** Renders every prompt in `format` (see {@link resolvePromptFormat}), in place. */
export function renderPrompts(data: JobData, format: ResolvedPromptFormat, systemPrompt: string | null): void {
  for (const row of [...data.train, ...data.eval]) row.prompt = renderPrompt(row.question as string, format, systemPrompt);
}

/** Where the job's tokenizer comes from, as the log and errors name it: the `tokenizer` option, else the model. */
export function jobTokenizerName(job: JobOptions): string {
  return job.tokenizer ?? job.model;
}

/** A model whose tokenizer is known to be there (loadCausalLM leaves it undefined when the folder has none). */
export type CausalLMWithTokenizer = CausalLM & { readonly tokenizer: TextTokenizer };

/** Narrows `model.tokenizer`; a folder without tokenizer files is an error that says what to do. */
export function withTokenizer(model: CausalLM, source: string): CausalLMWithTokenizer {
  if (model.tokenizer === undefined) {
    model.dispose();
    throw new ModelFilesNotFoundError(
      `${source}: no tokenizer files (tokenizer.json, or vocab.json + merges.txt). Copy them into the folder, or set tokenizer ` +
        '(CLI: --tokenizer) to a hub id, a folder, or "embedded" for the built-in GPT-2 tokenizer.',
      source,
    );
  }
  return model as CausalLMWithTokenizer;
}

/**
 * The job's `tokenizer` option as a tokenizer: "embedded", a folder or a hub id; undefined = the
 * model's own, which loadCausalLM reads — except with promptFormat 'chat-template', where it is
 * read here first so that a tokenizer without a template fails before the weights load.
 */
async function jobTokenizer(job: JobOptions): Promise<TextTokenizer | undefined> {
  let tokenizer: TextTokenizer | undefined;
  if (job.tokenizer === 'embedded') tokenizer = await embeddedGPT2Tokenizer();
  else if (job.tokenizer !== null) tokenizer = await loadTokenizer(sourcePath(job.tokenizer), jobHubOptions(job));
  else if (job.promptFormat === 'chat-template') {
    // A folder without tokenizer files is left to loadCausalLM and withTokenizer, which say what to do.
    tokenizer = await loadTokenizer(sourcePath(job.model), { ...jobHubOptions(job), revision: job.revision }).catch((error: unknown) =>
      error instanceof ModelFilesNotFoundError && existsSync(job.model) ? undefined : Promise.reject(error),
    );
  }
  if (tokenizer !== undefined) resolvePromptFormat(job.promptFormat, tokenizer, jobTokenizerName(job));
  return tokenizer;
}

/**
 * Loads the policy of a job: the base model quantized as configured, with fresh LoRA adapters
 * (B = 0, so it starts equal to the base) on loraTargetModules (unset = the architecture's default,
 * resolved by the model: read it back from `model.lora.targetModules`).
 * @throws PromptFormatError with promptFormat 'chat-template' when the tokenizer has no chat template.
 */
export async function loadJobModel(job: JobOptions, seed: number, log?: (line: string) => void): Promise<CausalLMWithTokenizer> {
  let model: CausalLM;
  await initJobRuntime(job, log);
  try {
    const tokenizer = await jobTokenizer(job);
    model = await loadCausalLM(sourcePath(job.model), {
      quantization: job.quantization,
      doubleQuant: job.doubleQuant,
      lora: { r: job.loraR, alpha: job.loraAlpha, dropout: job.loraDropout, targetModules: job.loraTargetModules, seed },
      gradientCheckpointing: job.gradientCheckpointing,
      revision: job.revision,
      ...jobHubOptions(job),
      ...(tokenizer !== undefined ? { tokenizer } : {}),
      ...(log !== undefined ? { log } : {}),
    });
  } catch (error) {
    if (isHubFailure(error, job.model)) throw new HubUnavailableError('model', job.model, error);
    throw error;
  }
  return withTokenizer(model, job.model);
}
