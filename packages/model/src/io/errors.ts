/**
 * Error classes for reading and writing model files (safetensors, config.json, tokenizer files,
 * PEFT adapters). Each message names the file and the tensor, field or byte offset at fault and
 * says what to do, so a broken checkpoint can be fixed without reading this package's code.
 */

/** Base class of every model-file error; `file` is the path being read or written, `cause` the system's error when there was one. */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
  constructor(
    message: string,
    readonly file: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A safetensors file is truncated, has a corrupt header, or holds an unsupported dtype. */
export class SafetensorsFormatError extends ModelFileError {
  override name = 'SafetensorsFormatError';
}

/** config.json (or another JSON settings file) is missing, unparsable, or has an invalid field. */
export class ModelConfigError extends ModelFileError {
  override name = 'ModelConfigError';
}

/** A checkpoint lacks a tensor, has an unexpected one, or one has the wrong shape. */
export class CheckpointTensorError extends ModelFileError {
  override name = 'CheckpointTensorError';
}

/** No loadable weights in a folder (e.g. only `pytorch_model.bin`), or a model id cannot be resolved. */
export class ModelFilesNotFoundError extends ModelFileError {
  override name = 'ModelFilesNotFoundError';
}

/** Tokenizer files are missing or unusable. */
export class TokenizerFileError extends ModelFileError {
  override name = 'TokenizerFileError';
}
