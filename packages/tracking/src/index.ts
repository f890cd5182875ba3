/**
 * @grpojs/tracking: where a training run's numbers go. Console (progress bar + metrics lines),
 * a local run directory with a self-contained HTML report, Weights & Biases, or all at once.
 * Never imports tfjs.
 */
export type { CompletionRecord, EvalProgress, Metrics, ProgressEstimate, RunInfo, Tracker } from './tracker.js';
export { TrackingError } from './errors.js';
export { loadEnv, readWandbEnv, type WandbEnv, type WandbMode } from './env.js';
export { formatComparison, scoresFromEvalMetrics, type ComparisonScores } from './compare-table.js';
export { ConsoleTracker, DEFAULT_KEYS, formatDuration, type ConsoleStream, type ConsoleTrackerOptions } from './console.js';
export { RunDirTracker, type RunDirTrackerOptions } from './run-dir.js';
export { WandbTracker, type WandbTrackerOptions } from './wandb.js';
export { OFFLINE_FORMAT, OfflineRunWriter, syncOfflineRun, type OfflineRunMeta, type SyncOptions } from './wandb-offline.js';
export type { WandbRunRef } from './wandb-client.js';
export { MultiTracker } from './multi.js';
export { createTrackers, TRACKER_NAMES, type CreateTrackersOptions, type TrackerName } from './create.js';
export { buildReportHtml, collectSeries, readRunDir, writeReport, escapeHtml, type MetricRow, type ReportData } from './report/index.js';
export { knownSecrets, redactConfig, redactLines, redactLogger, redactText } from './redact.js';
export { appendJsonl, repairJsonlTail } from './files.js';
export type { Warn } from './warn.js';
