/**
 * `grpojs serve`: an OpenAI-compatible HTTP server over our own model code, with the subset of
 * vLLM's API the server rollout uses — /v1/models, /v1/completions, /v1/load_lora_adapter,
 * /v1/unload_lora_adapter, /health — and SGLang's /update_weights_from_disk, so a CPU machine can be a rollout worker (docs/scale-out.md).
 * Requests are validated (400 naming the field), bodies are bounded (413), and model work runs one
 * request at a time in arrival order.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, resolve } from 'node:path';
import { GenerateError, LogProbsError } from '@grpojs/model';
import type { z } from 'zod';
import { createCompletion } from './completions.js';
import { PolicySlot, SlotRequestError, type PolicySlotOptions } from './policy-slot.js';
import { CompletionRequestSchema, LoadLoraRequestSchema, UnloadLoraRequestSchema, UpdateWeightsRequestSchema, describeIssue } from './requests.js';

/** Options of {@link serve}. */
export interface ServeOptions extends PolicySlotOptions {
  /** A PEFT adapter folder loaded at start, under its folder name. */
  adapter?: string;
  /** Interface to bind. Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Port; 0 = any free one (see RunningServer.url). Default 8000, as vLLM. */
  port?: number;
  /** Largest request body accepted, in bytes. Default 16 MiB. */
  maxBodyBytes?: number;
  /** One line per request outcome and adapter change. Default: stdout. */
  log?: (line: string) => void;
}

/** A started server. */
export interface RunningServer {
  /** http://host:port */
  url: string;
  /** The base model's name in requests and /v1/models. */
  servedModelName: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Loads the model (and `adapter`) and starts listening; resolves once requests are accepted. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const maxBody = options.maxBodyBytes ?? 16 * 2 ** 20;
  const slot = await PolicySlot.open(options);
  if (options.adapter !== undefined) {
    const name = basename(resolve(options.adapter));
    await slot.load(name, options.adapter, false);
    log(`grpojs serve: loaded adapter ${name} from ${options.adapter}`);
  }
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const routes: Record<string, (body: unknown) => Promise<[number, unknown]>> = {
    'GET /health': async () => [200, ''],
    'GET /v1/models': async () => {
      const created = Math.floor(Date.now() / 1000);
      const base = { id: slot.servedModelName, object: 'model', created, owned_by: 'grpojs', root: slot.servedModelName, parent: null };
      const loras = slot.adapterList().map((a) => ({ id: a.name, object: 'model', created: Math.floor(a.loadedAt / 1000), owned_by: 'grpojs', root: a.path, parent: slot.servedModelName }));
      return [200, { object: 'list', data: [base, ...loras] }];
    },
    'POST /v1/completions': async (body) => {
      const request = parse(CompletionRequestSchema, body);
      if (!slot.has(request.model)) throw new HttpError(404, `The model "${request.model}" does not exist.`);
      const started = performance.now();
      const answer = await serial(() => slot.with(request.model, (model) => createCompletion(model, request)));
      const choices = (answer.choices as unknown[]).length;
      log(`grpojs serve: ${request.model}: ${choices} completion(s) in ${((performance.now() - started) / 1000).toFixed(2)} s`);
      return [200, answer];
    },
    'POST /v1/load_lora_adapter': async (body) => {
      const request = parse(LoadLoraRequestSchema, body);
      await serial(() => slot.load(request.lora_name, request.lora_path, request.load_inplace));
      log(`grpojs serve: loaded adapter ${request.lora_name} from ${request.lora_path}`);
      return [200, `Success: LoRA adapter '${request.lora_name}' added successfully.`];
    },
    'POST /v1/unload_lora_adapter': async (body) => {
      const request = parse(UnloadLoraRequestSchema, body);
      await serial(async () => slot.unload(request.lora_name));
      log(`grpojs serve: unloaded adapter ${request.lora_name}`);
      return [200, `Success: LoRA adapter '${request.lora_name}' removed successfully.`];
    },
    'POST /update_weights_from_disk': async (body) => {
      const request = parse(UpdateWeightsRequestSchema, body);
      await serial(() => slot.replaceBase(request.model_path));
      log(`grpojs serve: updated weights from ${request.model_path}`);
      // SGLang's UpdateWeightFromDiskReqOutput.
      return [200, { success: true, message: 'Succeeded to update model weights.', num_paused_requests: 0 }];
    },
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes[`${req.method} ${path}`];
    try {
      if (!route) {
        const known = Object.keys(routes).some((r) => r.endsWith(` ${path}`));
        throw new HttpError(known ? 405 : 404, known ? `${req.method} is not allowed on ${path}.` : `No route ${req.method} ${path}; this server has ${Object.keys(routes).join(', ')}.`);
      }
      const body = req.method === 'POST' ? await readJson(req, maxBody) : undefined;
      const [status, payload] = await route(body);
      send(res, status, payload);
    } catch (error) {
      // A prompt the model cannot take (too long, an id outside the vocabulary) is the client's error.
      const status = error instanceof HttpError || error instanceof SlotRequestError ? error.status : error instanceof GenerateError || error instanceof LogProbsError ? 400 : 500;
      const message = (error as Error).message ?? String(error);
      if (status === 500) log(`grpojs serve: ${req.method} ${path} failed: ${(error as Error).stack ?? message}`);
      // OpenAI's error body, as vLLM answers it.
      send(res, status, { error: { message, type: status === 404 ? 'NotFoundError' : status < 500 ? 'BadRequestError' : 'InternalServerError', param: null, code: status } });
    }
  }

  const port = options.port ?? 8000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolvePromise());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log(`grpojs serve: ${slot.servedModelName} on ${url}`);
  return {
    url,
    servedModelName: slot.servedModelName,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => {
          slot.dispose();
          resolvePromise();
        });
        server.closeAllConnections();
      }),
  };
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new HttpError(400, `Invalid request body: ${describeIssue(result.error)}`);
  return result.data;
}

/** Reads a JSON body of at most `max` bytes (413 beyond, 400 when not JSON). */
async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) throw new HttpError(413, `The request body (${declared} bytes) is larger than ${max} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new HttpError(413, `The request body is larger than ${max} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'The request body is not JSON.');
  }
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  res.writeHead(status, { 'content-type': typeof payload === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
