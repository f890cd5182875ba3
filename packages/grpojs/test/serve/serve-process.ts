/** Starts the built CLI's `grpojs serve` as a child process on a free port and collects its output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A running `grpojs serve` child. */
export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** The adapter names it loaded, in order (its "loaded adapter" log lines). */
  loaded(): string[];
  /**
   * Resolves once its output holds `count` matches of `pattern`. A log line reaches this process
   * through a pipe, independently of the HTTP response the server sent after writing it, so a
   * test reads the log only after waiting for the lines it expects.
   */
  waitForOutput(pattern: RegExp, count: number, timeoutMs?: number): Promise<void>;
  /** SIGKILL, resolved once it exited and its output was read to the end. */
  kill(): Promise<void>;
}

/** Spawns `grpojs serve --model <dir> --port 0 …args`; resolves with its URL once it listens. */
export function startServe(model: string, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--model', model, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  let text = '';
  // 'close', not 'exit': it comes after the pipes drained, so output() then holds every line.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // No orphan server when the test process ends before its afterAll (a crash, a killed worker).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`grpojs serve did not start within 60 s:\n${text}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const m = /grpojs serve: \S+ on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          child,
          output: () => text,
          loaded: () => [...text.matchAll(/grpojs serve: loaded adapter (\S+) from/g)].map((x) => x[1]),
          waitForOutput: (pattern, count, timeoutMs = 30_000) => waitForMatches(() => text, pattern, count, timeoutMs),
          kill: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
            await exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`grpojs serve exited with ${code} before listening:\n${text}`));
    });
  });
}

async function waitForMatches(text: () => string, pattern: RegExp, count: number, timeoutMs: number): Promise<void> {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  const deadline = Date.now() + timeoutMs;
  while ([...text().matchAll(global)].length < count) {
    if (Date.now() > deadline) throw new Error(`grpojs serve printed fewer than ${count} match(es) of ${pattern} within ${timeoutMs} ms:\n${text()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
