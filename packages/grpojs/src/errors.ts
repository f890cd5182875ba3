/**
 * Errors of the umbrella package: a bad job config (naming every bad field) and a hub that cannot
 * be reached (naming the options that switch to local files).
 */

/** One problem in a config: the field (dotted path) and what is wrong with it. */
export interface ConfigIssue {
  field: string;
  message: string;
}

/** A job config failed validation; `issues` lists every bad field so a CLI can name its flags. */
export class TrainConfigError extends Error {
  override name = 'TrainConfigError';
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `Invalid ${source}:\n${issues.map((i) => `  ${i.field}: ${i.message}`).join('\n')}\n` +
        'See docs/configuration.md and docs/cli.md for every field, its type and default.',
    );
  }
}

/** The Hugging Face hub was needed (model or data given as a hub id) and could not be used. */
export class HubUnavailableError extends Error {
  override name = 'HubUnavailableError';
  constructor(
    readonly what: 'model' | 'data',
    readonly source: string,
    cause: unknown,
  ) {
    super(
      `Cannot load the ${what} "${source}" from the Hugging Face hub: ${(cause as Error)?.message ?? String(cause)}\n` +
        'To run from local files instead, set model (CLI: --model <folder with config.json, model.safetensors and ' +
        'tokenizer files>) and data (CLI: --data <GSM8K .jsonl/.parquet file or folder with train.jsonl and test.jsonl>); ' +
        'or try the fully offline smoke run (CLI: --preset smoke).',
      { cause },
    );
  }
}

/** `promptFormat: 'chat-template'` was asked for, and the tokenizer has no chat template. */
export class PromptFormatError extends Error {
  override name = 'PromptFormatError';
  constructor(readonly tokenizer: string) {
    super(
      `promptFormat "chat-template": the tokenizer of ${tokenizer} has no chat template (its tokenizer_config.json has no chat_template). ` +
        'Use promptFormat "seed" (CLI: --prompt-format seed) for the reference "role: content" prompt, or "auto" to use a chat template only ' +
        'where the tokenizer ships one; or take the tokenizer of a model that has one, e.g. its -Instruct version (CLI: --tokenizer <hub id or folder>).',
    );
  }
}

/** A folder the job writes to (outputDir, runsDir) cannot be created or written; found before anything loads. */
export class UnwritableFolderError extends Error {
  override name = 'UnwritableFolderError';
  /**
   * @param folder the absolute folder.
   * @param option the config field that set it (`outputDir`), named with its CLI flag in the message.
   * @param cause the OS error of the mkdir or probe write (its code and message are in the message).
   */
  constructor(
    readonly folder: string,
    readonly option: string,
    flag: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `Cannot write to ${folder}, the folder set by ${option} (CLI: ${flag}): ${reason}. ` +
        `Set ${option} to a folder you can write to, or fix the permissions of this one; nothing was loaded or trained yet.`,
      { cause },
    );
  }
}
