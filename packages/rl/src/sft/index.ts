/** Supervised fine-tuning with TRL SFTTrainer's semantics (see docs/sft.md). */
export { SFTConfigSchema, parseSFTConfig, type SFTConfig, type SFTConfigInput } from './config.js';
export { splitAtLoss, tokenizeRow, type MessagesRenderer, type PromptCompletion, type SFTMessage, type SFTRow, type SFTTokenizer, type TokenizedRow } from './dataset.js';
export { type SFTModel } from './loss.js';
export { SFTTrainer, type SFTTrainerOptions, type SFTTrainResult } from './trainer.js';
