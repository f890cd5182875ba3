/**
 * Named starting configs for `--preset`. A preset only fills fields (flags and `--config` still
 * win) and may prepare files before the run, e.g. the smoke preset writes its tiny random model.
 */
import type { RewardFunction, TrainConfig, TrainConfigInput } from '../../index.js';
import { smokeLlamaPreset, smokePreset } from './smoke.js';
import { trlDefaultsPreset } from './trl-defaults.js';

/** A named config layer. */
export interface Preset {
  name: string;
  /** One line for `--help`. */
  description: string;
  config: TrainConfigInput;
  /** Runs before the model and data are loaded (after validation), with the final config. */
  prepare?(config: TrainConfig, log: (line: string) => void): Promise<void>;
  /** After training, reload the saved folder and generate from the first eval question. */
  checkReload: boolean;
  /** Reward functions instead of the seven defaults. */
  rewardFunctions?: readonly RewardFunction[];
}

const PRESETS: Record<string, Preset> = { smoke: smokePreset, 'smoke-llama': smokeLlamaPreset, 'trl-defaults': trlDefaultsPreset };

/** Names accepted by `--preset`. */
export const PRESET_NAMES = Object.keys(PRESETS);

/** The preset of that name, or null. */
export function getPreset(name: string): Preset | null {
  return PRESETS[name] ?? null;
}
