/**
 * Console tables of benchmark results: one row per configuration (speeds, step time, memory), the
 * same-run ratios to the PyTorch anchor, and for profiled configurations the step's time by bucket
 * and by phase.
 */
import type { AnchorResult } from './anchor.js';
import type { ConfigResult } from './run-config.js';

const MiB = (b: number | null) => (b === null ? 'n/a' : (b / 2 ** 20).toFixed(0));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The main table: one line per configuration, in Markdown so it pastes into docs/benchmarks.md. */
export function resultsTable(results: ConfigResult[]): string {
  const header = ['model', 'base', 'backend', 'BLAS', 'μbatch', 'rollout tok/s', 'train tok/s', 'rollout s', 'ref s', 'train s', 'AdamW s', 'step s', 'step CPU-s (roll/ref/train)', 'matmul GFLOP/s', 'weights MiB', 'tf MiB', 'wasm heap MiB', 'peak RSS MiB', 'load'];
  const rows = results.map((r) => [
    r.config.model,
    r.config.quant === 'nf4' ? 'nf4' : 'fp32',
    r.backend.backend,
    r.backend.accel ? `on (${r.backend.blasThreads ?? '?'} thr)` : 'off',
    `${r.config.microBatch}${r.config.checkpointing ? ' ckpt' : ''}`,
    r.rolloutTokensPerSecond.toFixed(1),
    r.trainingTokensPerSecond.toFixed(1),
    r.median.rollout.toFixed(2),
    r.median.reference.toFixed(2),
    r.median.training.toFixed(2),
    r.median.optimizer.toFixed(3),
    r.median.total.toFixed(2),
    `${r.median.cpu.total.toFixed(1)} (${r.median.cpu.rollout.toFixed(1)}/${r.median.cpu.reference.toFixed(1)}/${r.median.cpu.training.toFixed(1)})`,
    r.matmulGflops.toFixed(0),
    MiB(r.memory.loadedWeightBytes),
    MiB(r.memory.tfBytesAfterLoad),
    MiB(r.memory.wasmHeapBytes),
    MiB(r.memory.peakRssBytes),
    `${r.loadavgBefore[0].toFixed(1)}→${r.loadavgAfter[0].toFixed(1)}`,
  ]);
  return table(header, rows);
}

/**
 * How many times faster grpojs is than the anchor: "3.4× faster", "1.5× slower", or "1.0× (level)" within 5%.
 * `higherIsBetter`: true for rates (tokens/s), false for durations (seconds).
 */
export function ratioCell(ours: number, torch: number, higherIsBetter: boolean): string {
  const speedup = higherIsBetter ? ours / torch : torch / ours;
  if (!Number.isFinite(speedup) || speedup <= 0) return 'n/a';
  // Within 5% either way the one-decimal ratio would read "1.0× slower": say it is level instead.
  if (Math.abs(speedup - 1) < 0.05) return '1.0× (level)';
  return speedup >= 1 ? `${speedup.toFixed(1)}× faster` : `${(1 / speedup).toFixed(1)}× slower`;
}

/**
 * Each configuration beside the PyTorch anchor of its model measured in the same invocation:
 * value, torch's value, ratio, for rollout tokens/s, reference seconds, training tokens/s and the
 * step. NF4 rows are compared with the fp32 anchor (torch has no CPU NF4 kernels) and say so.
 */
export function anchorTable(results: ConfigResult[], anchors: Partial<Record<string, AnchorResult>>): string {
  const header = ['model', 'base', 'threads (ours/torch)', 'rollout tok/s', 'torch', 'ratio', 'ref s', 'torch', 'ratio', 'train tok/s', 'torch', 'ratio', 'step s', 'torch', 'ratio'];
  const rows = results.flatMap((r) => {
    const a = anchors[r.config.model];
    if (!a) return [];
    const tok = (v: number) => v.toFixed(1);
    const sec = (v: number) => `${v.toFixed(2)} s`;
    return [[
      r.config.model,
      r.config.quant === 'nf4' ? 'nf4 (torch: fp32)' : 'fp32',
      `${r.backend.accel ? (r.backend.blasThreads ?? '?') : 'wasm'}/${a.threads}`,
      tok(r.rolloutTokensPerSecond), tok(a.rolloutTokensPerSecond), ratioCell(r.rolloutTokensPerSecond, a.rolloutTokensPerSecond, true),
      sec(r.median.reference), sec(a.median.reference), ratioCell(r.median.reference, a.median.reference, false),
      tok(r.trainingTokensPerSecond), tok(a.trainingTokensPerSecond), ratioCell(r.trainingTokensPerSecond, a.trainingTokensPerSecond, true),
      sec(r.median.total), sec(a.median.total), ratioCell(r.median.total, a.median.total, false),
    ]];
  });
  return table(header, rows);
}

/** One line per anchor: what ran and under which load, for the notes under the ratio table. */
export function anchorNotes(anchors: Partial<Record<string, AnchorResult>>): string {
  return Object.entries(anchors)
    .flatMap(([model, a]) => (a ? [`${model}: torch ${a.torch}, ${a.threads} threads, OMP_WAIT_POLICY ${a.ompWaitPolicy}, ${a.checkpointing ? 'checkpointing, ' : ''}median of ${a.runs} run${a.runs === 1 ? '' : 's'}, load ${a.loadavgBefore[0]?.toFixed(1)}→${a.loadavgAfter[0]?.toFixed(1)}`] : []))
    .join('\n');
}

/** The profile tables of one configuration: share of kernel time per bucket, per phase. */
export function profileTables(r: ConfigResult): string {
  const p = r.profile;
  if (!p) return '';
  const buckets = [...new Set(p.phases.flatMap((ph) => Object.keys(ph.buckets)))];
  const total = p.phases.reduce((s, ph) => s + ph.wallMs, 0);
  const rows = buckets
    .map((b) => {
      const ms = p.phases.map((ph) => ph.buckets[b]?.ms ?? 0);
      const sum = ms.reduce((a, c) => a + c, 0);
      return { b, ms, sum };
    })
    .sort((x, y) => y.sum - x.sum)
    .map(({ b, ms, sum }) => [b, ...ms.map((v) => (v / 1000).toFixed(2)), (sum / 1000).toFixed(2), `${((100 * sum) / total).toFixed(1)}%`]);
  const host = p.phases.map((ph) => ph.wallMs - ph.kernelMs);
  const hostSum = host.reduce((a, c) => a + c, 0);
  rows.push(['host: JS dispatch, sampling, uploads/downloads', ...host.map((v) => (v / 1000).toFixed(2)), (hostSum / 1000).toFixed(2), `${((100 * hostSum) / total).toFixed(1)}%`]);
  rows.push(['wall', ...p.phases.map((ph) => (ph.wallMs / 1000).toFixed(2)), (total / 1000).toFixed(2), '100%']);
  const head = ['bucket (seconds)', ...p.phases.map((ph) => ph.phase), 'step', 'share'];
  const sampling = (p.sampleTokenMs * r.workUnit.sequences * r.workUnit.newTokens) / 1000;
  const lines = [
    `Profile: ${r.config.model} ${r.config.quant === 'nf4' ? 'nf4' : 'fp32'} base, ${r.backend.backend}, BLAS ${r.backend.accel ? 'on' : 'off'} (tf.profile adds per-kernel overhead; shares, not absolute speed)`,
    table(head, rows),
    `matmul GFLOP/s by phase: ${p.phases.map((ph) => `${ph.phase} ${ph.matmulGflop.toFixed(1)}`).join(', ')}; kernel calls: ${p.phases.map((ph) => `${ph.phase} ${ph.kernels}`).join(', ')}`,
    `host sampling: ${p.sampleTokenMs.toFixed(3)} ms per token → ${sampling.toFixed(2)} s of the rollout for ${r.workUnit.sequences}×${r.workUnit.newTokens} tokens`,
    'top kernels:',
    table(['kernel → output', 'seconds', 'calls'], p.topKernels.map((k) => [k.kernel, (k.ms / 1000).toFixed(2), String(k.calls)])),
  ];
  return lines.join('\n');
}
