#!/usr/bin/env node
/**
 * `pnpm bench`: runs each configuration (model × base × BLAS) in a child process, then the PyTorch
 * anchor of that model (never at the same time, so the two do not share the cores), prints Markdown
 * tables with same-run ratios and writes every measurement as JSON to bench-results/. See
 * docs/benchmarks.md.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AnchorResult, anchorPython, probeAnchor, runAnchor } from './anchor.js';
import { type BenchConfig, BenchOptionsError, parseBenchArgs } from './options.js';
import { anchorNotes, anchorTable, profileTables, resultsTable } from './report.js';
import type { ConfigResult } from './run-config.js';
import { WORK_UNIT } from './setup.js';

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

/**
 * The anchor run that mirrors a model's configurations: the most timed runs any of them asked for,
 * their micro-batch and checkpointing, and the BLAS threads the first one used (else one per core).
 */
function anchorSpec(configs: BenchConfig[], measured: ConfigResult[]) {
  const first = configs[0];
  return {
    model: first.model,
    runs: Math.max(...configs.map((c) => c.runs)),
    threads: first.threads ?? measured.find((r) => r.backend.blasThreads)?.backend.blasThreads ?? availableParallelism(),
    microBatch: first.microBatch,
    checkpointing: first.checkpointing,
    workUnit: measured[0]?.workUnit ?? WORK_UNIT,
    ompWaitPolicy: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
  };
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
  const python = anchorPython(process.env);
  let anchorOff: string | null = plan.anchor ? null : 'skipped (--no-anchor)';
  if (anchorOff === null) {
    const probe = await probeAnchor(python);
    if (probe.ok) {
      console.error(`PyTorch anchor: ${python}, torch ${probe.torch}, OMP_WAIT_POLICY ${process.env.OMP_WAIT_POLICY ?? 'PASSIVE'} (AnchorRun.ompWaitPolicy says why)`);
    }
    else anchorOff = `skipped: torch does not import (${probe.reason}); set GRPOJS_BENCH_PYTHON to a Python with torch`;
    if (anchorOff) console.error(`PyTorch anchor ${anchorOff}; reporting grpojs alone.`);
  }
  const results: ConfigResult[] = [];
  const anchors: Partial<Record<string, AnchorResult>> = {};
  const models = [...new Set(plan.configs.map((c) => c.model))];
  for (const model of models) {
    const configs = plan.configs.filter((c) => c.model === model);
    const mine: ConfigResult[] = [];
    for (const config of configs) {
      const tmp = join(tmpdir(), `grpojs-bench-${process.pid}-${plan.configs.indexOf(config)}.json`);
      try {
        await runChild(JSON.stringify(config), tmp);
      } catch (e) {
        // Keep what the child saved before failing (its timed runs, without the profile).
        console.error((e as Error).message);
      }
      const saved = await readFile(tmp, 'utf8').catch(() => null);
      if (saved !== null) mine.push(JSON.parse(saved) as ConfigResult);
      await rm(tmp, { force: true });
    }
    results.push(...mine);
    if (anchorOff === null) {
      try {
        anchors[model] = await runAnchor(python, anchorSpec(configs, mine));
      } catch (e) {
        console.error(`PyTorch anchor for ${model} failed: ${(e as Error).message}`);
      }
    }
  }
  console.log(`\nGRPO step: ${results[0]?.workUnit.sequences} sequences × (${results[0]?.workUnit.promptTokens} prompt + ${results[0]?.workUnit.newTokens} new tokens), LoRA r16 on PEFT's default targets (c_attn; Llama family q_proj + v_proj), medians of the timed runs\n`);
  console.log(resultsTable(results));
  if (anchorOff !== null) console.log(`\nPyTorch anchor ${anchorOff}.`);
  else {
    console.log('\nSame run, PyTorch CPU anchor (anchor/torch_grpo_step.py: eager torch, fp32 base, same work unit, micro-batches, checkpointing and threads; ratio = how much faster grpojs is)\n');
    console.log(anchorTable(results, anchors));
    console.log(`\n${anchorNotes(anchors)}`);
  }
  for (const r of results) if (r.profile) console.log(`\n${profileTables(r)}`);
  const out = resolve(plan.outFile);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, results, anchors, ...(anchorOff ? { anchorSkipped: anchorOff } : {}) }, null, 2));
  console.log(`\nwrote ${out}`);
}

await main();
