/**
 * The parent side of worker/wandb-worker.mjs: starts @wandb/sdk in a worker thread, forwards
 * history rows, and bounds every wait with a timeout, so a bad key, a dead server or an SDK bug
 * costs at most `initTimeoutMs` + `finishTimeoutMs` and one warning. The worker never holds the
 * process open (unref) and its console output is redacted and kept out of the training output.
 */
import { Worker } from 'node:worker_threads';
import { redactText } from './redact.js';

/** Where the run goes and what it is. */
export interface WandbTarget {
  apiKey: string;
  baseUrl: string;
  id: string;
  project: string;
  entity?: string;
  name: string;
  config: Record<string, unknown>;
}

/** What the server said about the created run. */
export interface WandbRunRef {
  id: string;
  project: string;
  entity: string;
  url: string;
}

/** Callbacks and limits of a client. */
export interface WandbClientOptions {
  initTimeoutMs: number;
  finishTimeoutMs: number;
  /** A problem (already redacted). The caller decides whether to print it (it warns once). */
  onProblem: (message: string) => void;
  /** Every line the SDK printed, redacted (for a debug log); optional. */
  onOutput?: (line: string) => void;
}

const WORKER_URL = new URL('../worker/wandb-worker.mjs', import.meta.url);

/** One W&B run driven through a worker thread. */
export class WandbWorkerClient {
  private worker: Worker | undefined;
  private failed = false;
  private finishedResolve: (() => void) | undefined;

  constructor(
    private readonly target: WandbTarget,
    private readonly options: WandbClientOptions,
  ) {}

  /** Starts the run; resolves with the run (or null after reporting a problem). Never rejects. */
  start(): Promise<WandbRunRef | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.fail(`no answer from ${this.target.baseUrl} within ${this.options.initTimeoutMs / 1000}s (server unreachable or failing)`);
        resolve(null);
      }, this.options.initTimeoutMs);
      const settle = (value: WandbRunRef | null) => {
        clearTimeout(timer);
        resolve(value);
      };
      let worker: Worker;
      try {
        worker = new Worker(WORKER_URL, { workerData: this.target, stdout: true, stderr: true, env: {} });
      } catch (error) {
        this.fail(`could not start the W&B worker: ${error instanceof Error ? error.message : String(error)}`);
        settle(null);
        return;
      }
      this.worker = worker;
      worker.unref();
      this.capture(worker.stdout);
      this.capture(worker.stderr);
      worker.on('message', (msg: { type: string; run?: WandbRunRef; message?: string }) => {
        if (msg.type === 'ready' && msg.run) settle(msg.run);
        else if (msg.type === 'error') {
          this.fail(msg.message ?? 'unknown SDK error');
          settle(null);
        } else if (msg.type === 'finished') this.finishedResolve?.();
      });
      worker.on('error', (error) => {
        this.fail(`SDK error: ${error.message}`);
        settle(null);
        this.finishedResolve?.();
      });
      worker.on('exit', () => {
        settle(null);
        this.finishedResolve?.();
      });
    });
  }

  /** Whether a problem has been reported (later calls are then no-ops). */
  get hasFailed(): boolean {
    return this.failed;
  }

  /** Sends one history row at `step` (steps must increase). */
  log(data: Record<string, unknown>, step: number): void {
    if (this.failed || this.worker === undefined) return;
    this.worker.postMessage({ type: 'log', data, step });
  }

  /** Flushes and closes the run; waits at most finishTimeoutMs, then stops the worker regardless. */
  async finish(): Promise<boolean> {
    const worker = this.worker;
    if (worker === undefined) return false;
    let done = false;
    if (!this.failed) {
      const finished = new Promise<void>((resolve) => {
        this.finishedResolve = resolve;
      });
      worker.postMessage({ type: 'finish' });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.finishTimeoutMs);
      });
      await Promise.race([finished.then(() => (done = true)), timeout]);
      clearTimeout(timer);
      if (!done) this.fail(`could not confirm within ${this.options.finishTimeoutMs / 1000}s that all data reached ${this.target.baseUrl}`);
    }
    this.worker = undefined;
    await worker.terminate();
    return done && !this.failed;
  }

  private fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.options.onProblem(this.redact(message));
    if (this.worker !== undefined && this.finishedResolve === undefined) {
      const worker = this.worker;
      this.worker = undefined;
      void worker.terminate();
    }
  }

  private capture(stream: NodeJS.ReadableStream): void {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) this.onLine(this.redact(line));
    });
    stream.on('end', () => {
      if (pending !== '') this.onLine(this.redact(pending));
    });
  }

  private onLine(line: string): void {
    this.options.onOutput?.(line);
    const status = /Fatal HTTP error \((\d+)\)|Retrying failed request/.exec(line);
    if (status === null) return;
    const code = status[1];
    if (code === undefined) this.fail('server error (HTTP status above 404)');
    else this.fail(`server answered HTTP ${code}${code === '401' || code === '403' ? ' (check WANDB_API_KEY and WANDB_ENTITY)' : ''}`);
  }

  private redact(text: string): string {
    return redactText(text, [this.target.apiKey]);
  }
}
