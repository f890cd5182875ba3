/**
 * Parquet reading for the Hugging Face dataset layout (`main/train-00000-of-00001.parquet`), with
 * hyparquet: pure JavaScript, no native build, reads the snappy-compressed files HF produces.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { DatasetFormatError } from './errors.js';
import type { RawRecord } from './records.js';

/**
 * Reads every row of a parquet file as a `{ column: value }` object.
 *
 * @param requiredColumns columns the file must have; a missing one throws, naming the columns it has.
 * @throws DatasetFormatError when the file cannot be read, is not parquet, or has no rows.
 */
export async function readParquet(file: string, requiredColumns: readonly string[]): Promise<RawRecord[]> {
  let rows: Record<string, unknown>[];
  try {
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    const columns = parquetSchema(metadata).children.map((child) => child.element.name);
    const absent = requiredColumns.filter((name) => !columns.includes(name));
    if (absent.length > 0) {
      throw new DatasetFormatError(
        `${file} has no column ${absent.map((name) => `"${name}"`).join(', ')}; its columns are ${columns.join(', ')}.`,
        file,
      );
    }
    rows = await parquetReadObjects({ file: buffer, metadata });
  } catch (err) {
    if (err instanceof DatasetFormatError) throw err;
    throw new DatasetFormatError(`Cannot read parquet file ${file}: ${(err as Error).message}.`, file);
  }
  if (rows.length === 0) throw new DatasetFormatError(`${file} has no rows.`, file);
  return rows.map((values, i) => ({ line: i + 1, values }));
}
