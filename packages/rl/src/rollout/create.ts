/** Builds the rollout backend a config names (the trainer's default when none is passed in). */
import { join } from 'node:path';
import type { GRPOConfig } from '../config.js';
import type { PolicyModel } from '../policy-model.js';
import type { RolloutBackend } from './backend.js';
import { checkRolloutConfig } from './config.js';
import { LocalRollout } from './local.js';
import { ServerRollout } from './server.js';

/** `local` samples with `model`; `server` needs rolloutUrls and rolloutModel (GRPOConfigError otherwise; parseGRPOConfig checks it first). */
export function createRolloutBackend(config: GRPOConfig, model: PolicyModel, logger?: Pick<Console, 'warn' | 'info'>): RolloutBackend {
  if (config.rolloutKind === 'local') return new LocalRollout(model);
  checkRolloutConfig(config);
  return new ServerRollout({
    urls: config.rolloutUrls,
    model: config.rolloutModel as string,
    adapterDir: config.rolloutAdapterDir ?? join(config.outputDir, 'rollout-policy'),
    weightSync: config.rolloutWeightSync,
    policy: model,
    requestTimeoutMs: config.rolloutRequestTimeout * 1000,
    loadTimeoutMs: config.rolloutLoadTimeout * 1000,
    ...(logger ? { logger } : {}),
  });
}
