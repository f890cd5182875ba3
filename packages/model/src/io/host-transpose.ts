/** Host-side layout change shared by the loaders and the quantizer (no backend involved). */

/** Transposes a row-major [rows, cols] array into a new [cols, rows] array. */
export function transposeHost(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
