/**
 * The `train` command: resolve the config, let the preset prepare its files, run `train()`, print
 * the final fine-tuned vs base comparison and where everything was written. With a preset that
 * asks for it (smoke), the saved folder is then reloaded and answers the first eval question, so
 * a smoke run proves that what was saved can be used.
 */
import { join } from 'node:path';
import { formatComparison, jobSecrets, redactConfig, train } from '../../index.js';
import { InterruptedError } from '../errors.js';
import { withFileRewards } from '../config-rewards.js';
import { resolveConfig, type ConfigSources } from '../resolve-config.js';
import { describeRewards, resolveRewards, type RewardSources } from '../reward-module.js';
import { stopOnSignals } from '../stop-signals.js';
import { generateFromSaved } from './generate.js';

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Runs a training job from the command line's config layers. */
export async function runTrain(sources: ConfigSources & { printConfig: boolean; resume?: string; rewards?: RewardSources }): Promise<void> {
  const { config, preset, fileRewards } = await resolveConfig(sources);
  if (sources.printConfig) {
    log(JSON.stringify(redactConfig(config, jobSecrets()), null, 2));
    return;
  }
  const rewards = await resolveRewards(withFileRewards(sources.rewards, fileRewards), preset?.rewardFunctions);
  log(`grpojs: ${describeRewards(rewards)}`);
  await preset?.prepare?.(config, log);
  const interrupt = stopOnSignals(config.outputDir);
  let report;
  try {
    report = await train(config, {
      signal: interrupt.signal,
      onStep: interrupt.onStep,
      ...(sources.resume !== undefined ? { resume: sources.resume } : {}),
      rewardFunctions: rewards.map((r) => r.fn),
    });
  } finally {
    interrupt.release();
  }
  const { result } = report;
  log('');
  if (!result.completed) {
    // The adapter is written only when the run completes: say so, and how to go on.
    log(`Stopped at step ${result.globalStep} of ${result.totalSteps}; checkpoint ${result.lastCheckpoint}. No adapter was saved to ${report.outputDir}.`);
    log(`Continue with the same command plus --resume latest (or --resume ${result.lastCheckpoint}).`);
  }
  if (report.finalEval !== null) log(formatComparison(report.finalEval.model, report.finalEval.base, `Final evaluation at step ${report.finalEval.step} on ${config.evalSplit}`));
  if (result.completed) log(`Adapter and tokenizer saved to ${report.outputDir} (adapter_config.json, adapter_model.safetensors, tokenizer files, report.json)`);
  if (report.runDir !== null) log(`Run directory: ${report.runDir} (metrics.jsonl, report.html: ${join(report.runDir, 'report.html')})`);
  const signal = interrupt.received();
  if (signal !== null && !result.completed) {
    throw new InterruptedError(signal, `stopped by ${signal} at step ${result.globalStep} of ${result.totalSteps}; resume with --resume latest (checkpoint ${result.lastCheckpoint}).`);
  }
  if (preset?.checkReload && result.completed && signal === null) {
    const question = config.evalSplit === null ? 'What is 2 + 3?' : undefined;
    const answer = await generateFromSaved(report.outputDir, { question, config, maxNewTokens: config.maxCompletionLength });
    log(`Reloaded ${report.outputDir} and asked: ${JSON.stringify(answer.question)}`);
    log(`  answer: ${JSON.stringify(answer.completion)}`);
  }
  log(`Done in ${report.seconds.toFixed(1)} s.`);
}
