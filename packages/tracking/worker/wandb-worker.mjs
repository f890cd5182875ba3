// @ts-check
/**
 * Runs @wandb/sdk inside a worker thread, so that none of its failure modes can reach the training
 * process. Why a worker and not a plain import (read from @wandb/sdk 0.5.1's dist/):
 *  - a failed run upsert makes the SDK `throw` inside a MessagePort listener (Messenger.addListeners),
 *    an uncaught exception that would kill the trainer;
 *  - on HTTP 5xx it retries up to 50–60 times with delays up to 30 s, keeping timers alive long
 *    after training ends (and it re-awaits the same failed request, so retries never succeed);
 *  - it prints to console.log/console.error directly, and installs SIGINT/SIGTERM handlers that call
 *    process.exit().
 * In a worker, an uncaught exception only ends the worker; its stdout/stderr are captured by the
 * parent (src/wandb-client.ts); signals are not delivered; the parent can terminate it at any time.
 *
 * Plain JavaScript (not TypeScript under src/) because a worker needs a file Node can load as is,
 * both from the built package and when the tests run the TypeScript sources.
 *
 * Protocol. workerData: { apiKey, baseUrl, id, project, entity?, name, config }.
 * parent → worker: { type: 'log', data, step } | { type: 'finish' }
 * worker → parent: { type: 'ready', run: { id, project, entity, url } } | { type: 'error', message }
 *                | { type: 'finished' }
 */
import { parentPort, workerData } from 'node:worker_threads';
import wandb from '@wandb/sdk';

// The SDK reports the cause of a failed request only on the console ("Fatal error: FetchError …
// ECONNREFUSED"); remember the last such line so the init error can name the cause.
let lastSdkError = '';
const consoleError = console.error.bind(console);
console.error = (...args) => {
  const first = args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(' ');
  lastSdkError = first.split('\n')[0].slice(0, 300);
  consoleError(...args);
};

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { apiKey, baseUrl, id, project, entity, name, config } = workerData;

const ready = wandb
  .init({ id, project, entity, name, config, settings: { apiKey, baseUrl, offline: false, silent: true } })
  .then(
    (run) => {
      port.postMessage({ type: 'ready', run: { id: run.id, project: run.project, entity: run.entity, url: run.url() } });
      return run;
    },
    (error) => {
      const reason = error instanceof Error ? error.message : String(error);
      port.postMessage({ type: 'error', message: `wandb.init failed: ${reason}${lastSdkError ? ` (${lastSdkError})` : ''}` });
      return null;
    },
  );

port.on('message', async (msg) => {
  const run = await ready;
  if (run === null) return;
  if (msg.type === 'log') {
    run.log(msg.data, msg.step, true);
  } else if (msg.type === 'finish') {
    await run.finish(0);
    port.postMessage({ type: 'finished' });
  }
});
