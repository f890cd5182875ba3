/**
 * The `train` command: resolve the config, let the preset prepare its files, run `train()`, print
 * the final fine-tuned vs base comparison and where everything was written. With a preset that
 * asks for it (smoke), the saved folder is then reloaded and answers the first eval question, so
 * a smoke run proves that what was saved can be used.
 */
import { join } from 'node:path';
import { train } from 'grpojs';
import { resolveConfig, type ConfigSources } from '../resolve-config.js';
import { formatComparison } from './compare-table.js';
import { generateFromSaved } from './generate.js';

const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Ctrl-C once: finish the current step, save a checkpoint and stop (resume with --resume latest);
 * twice: exit at once.
 */
function stopOnInterrupt(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    process.stderr.write('\ngrpojs: stopping after this step and saving a checkpoint (Ctrl-C again to quit now; continue later with --resume latest)\n');
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}

/** Runs a training job from the command line's config layers. */
export async function runTrain(sources: ConfigSources & { printConfig: boolean; resume?: string }): Promise<void> {
  const { config, preset } = await resolveConfig(sources);
  if (sources.printConfig) {
    log(JSON.stringify(config, null, 2));
    return;
  }
  await preset?.prepare?.(config, log);
  const interrupt = stopOnInterrupt();
  let report;
  try {
    report = await train(config, {
      signal: interrupt.signal,
      ...(sources.resume !== undefined ? { resume: sources.resume } : {}),
      ...(preset?.rewardFunctions ? { rewardFunctions: preset.rewardFunctions } : {}),
    });
  } finally {
    interrupt.release();
  }
  log('');
  if (!report.result.completed) log(`Stopped at step ${report.result.globalStep} of ${report.result.totalSteps}; checkpoint ${report.result.lastCheckpoint}. Continue with --resume latest.`);
  if (report.finalEval !== null) log(formatComparison(report.finalEval.model, report.finalEval.base, `Final evaluation at step ${report.finalEval.step} on ${config.evalSplit}`));
  log(`Adapter and tokenizer saved to ${report.outputDir} (adapter_config.json, adapter_model.safetensors, tokenizer files, report.json)`);
  if (report.runDir !== null) log(`Run directory: ${report.runDir} (metrics.jsonl, report.html: ${join(report.runDir, 'report.html')})`);
  if (preset?.checkReload && report.result.completed) {
    const question = config.evalSplit === null ? 'What is 2 + 3?' : undefined;
    const answer = await generateFromSaved(report.outputDir, { question, config, maxNewTokens: config.maxCompletionLength });
    log(`Reloaded ${report.outputDir} and asked: ${JSON.stringify(answer.question)}`);
    log(`  answer: ${JSON.stringify(answer.completion)}`);
  }
  log(`Done in ${report.seconds.toFixed(1)} s.`);
}
