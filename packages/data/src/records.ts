/**
 * What the file readers (jsonl, parquet) hand to the dataset builders: raw rows with their line
 * numbers, and the one place that decides whether a bad row throws (`strict`) or is skipped and counted.
 */
import { DatasetFormatError } from './errors.js';

/** One row as stored in the file, before any preprocessing. */
export interface RawRecord {
  /** 1-based line (jsonl) or row (parquet) number, for error messages. */
  line: number;
  values: Record<string, unknown>;
}

/** A row that was not loaded, and why. */
export interface SkippedRow {
  line: number;
  reason: string;
}

/** Where a row is: the file and its 1-based line (jsonl) or row (parquet) number. */
export interface RowLocation {
  file: string;
  line: number;
}

/** Collects skipped rows of one file; with `strict` the first one throws instead. */
export class RowProblems {
  readonly skipped: SkippedRow[] = [];

  constructor(
    readonly file: string,
    readonly strict: boolean,
    /** "line" for jsonl, "row" for parquet. */
    readonly unit: 'line' | 'row',
  ) {}

  /** Records (non-strict) or throws (strict) a problem with row `line`. */
  skip(line: number, reason: string): void {
    if (this.strict) {
      throw new DatasetFormatError(
        `${this.file}, ${this.unit} ${line}: ${reason}. Fix the row, or pass strict: false to skip such rows (they are counted in stats).`,
        this.file,
        line,
      );
    }
    this.skipped.push({ line, reason });
  }
}
