#!/usr/bin/env node
/**
 * `pnpm bench`: runs each configuration (model × base × BLAS) in a child process, prints a
 * Markdown table and writes every measurement as JSON to bench-results/. See docs/benchmarks.md.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchOptionsError, parseBenchArgs } from './options.js';
import { profileTables, resultsTable } from './report.js';
import type { ConfigResult } from './run-config.js';

const here = dirname(fileURLToPath(import.meta.url));

function runChild(json: string, out: string): Promise<void> {
  return new Promise((res, rej) => {
    const child = execFile(process.execPath, [join(here, 'run-config.js'), json, out], { maxBuffer: 1 << 26 }, (err) =>
      err ? rej(new Error(`benchmark configuration ${json} failed: ${err.message}`)) : res(),
    );
    child.stderr?.pipe(process.stderr);
    child.stdout?.pipe(process.stdout);
  });
}

async function main(): Promise<void> {
  let plan;
  try {
    plan = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof BenchOptionsError) {
      console.error(e.message);
      process.exitCode = e.message.startsWith('Usage') ? 0 : 2;
      return;
    }
    throw e;
  }
  const results: ConfigResult[] = [];
  for (const [i, config] of plan.configs.entries()) {
    const tmp = join(tmpdir(), `grpojs-bench-${process.pid}-${i}.json`);
    try {
      await runChild(JSON.stringify(config), tmp);
    } catch (e) {
      // Keep what the child saved before failing (its timed runs, without the profile).
      console.error((e as Error).message);
    }
    const saved = await readFile(tmp, 'utf8').catch(() => null);
    if (saved !== null) results.push(JSON.parse(saved) as ConfigResult);
    await rm(tmp, { force: true });
  }
  console.log(`\nGRPO step: ${results[0]?.workUnit.sequences} sequences × (${results[0]?.workUnit.promptTokens} prompt + ${results[0]?.workUnit.newTokens} new tokens), LoRA r16 on PEFT's default targets (c_attn; Llama family q_proj + v_proj), medians of the timed runs\n`);
  console.log(resultsTable(results));
  for (const r of results) if (r.profile) console.log(`\n${profileTables(r)}`);
  const out = resolve(plan.outFile);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2));
  console.log(`\nwrote ${out}`);
}

await main();
