// The Llama training kernels (native/napi/llama-train.cc: RMSNorm, SwiGLU, rotary into heads, each
// forward and backward) on wasm and cpu against float64 references written here from the
// formulas, and each backward against a central finite difference of its own forward kernel.
import { afterAll, describe, expect, it } from 'vitest';

import {
  disableBlasMatMul,
  enableBlasMatMul,
  RMS_NORM,
  RMS_NORM_GRAD,
  ROTARY_HEADS,
  ROTARY_HEADS_GRAD,
  setKernelThreads,
  SWIGLU,
  SWIGLU_GRAD,
} from '../src/index.js';
import { addonBuilt, randTensor, relError, rng, skipNote, tf } from './helpers.js';

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}): tf.Tensor[] => {
  const out = tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
};
const f64 = (t: tf.Tensor): Float64Array => Float64Array.from(t.dataSync());
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** float64 RMSNorm of rows x [n, C] and, for dy, its gradients dx and dweight. */
function rmsReference(x: Float64Array, w: Float64Array, dy: Float64Array, n: number, C: number, eps: number) {
  const y = new Float64Array(n * C);
  const dx = new Float64Array(n * C);
  const dw = new Float64Array(C);
  const rstd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (let j = 0; j < C; j++) sq += x[i * C + j] ** 2;
    const r = 1 / Math.sqrt(sq / C + eps);
    rstd[i] = r;
    let g = 0;
    for (let j = 0; j < C; j++) g += dy[i * C + j] * w[j] * x[i * C + j];
    for (let j = 0; j < C; j++) {
      y[i * C + j] = x[i * C + j] * r * w[j];
      dx[i * C + j] = r * w[j] * dy[i * C + j] - (x[i * C + j] * r ** 3 * g) / C;
      dw[j] += dy[i * C + j] * x[i * C + j] * r;
    }
  }
  return { y, rstd, dx, dw };
}

/** float64 rotate-half rotary of x [B·T, H·D] into [B, H, T, D] with angles pos · invFreq. */
function rotaryReference(x: Float64Array, B: number, T: number, H: number, D: number, angle: (b: number, t: number, i: number) => number) {
  const half = D / 2;
  const out = new Float64Array(x.length);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < H; h++) {
        const src = ((b * T + t) * H + h) * D;
        const dst = ((b * H + h) * T + t) * D;
        for (let i = 0; i < half; i++) {
          const [c, s] = [Math.cos(angle(b, t, i)), Math.sin(angle(b, t, i))];
          out[dst + i] = x[src + i] * c - x[src + half + i] * s;
          out[dst + half + i] = x[src + half + i] * c + x[src + i] * s;
        }
      }
    }
  }
  return out;
}

describe.skipIf(!addonBuilt)(`${RMS_NORM}, ${SWIGLU}, ${ROTARY_HEADS} and their gradients${skipNote}`, () => {
  afterAll(() => {
    disableBlasMatMul();
  });

  it('enableBlasMatMul({ kernels: { llama: false } }) registers none of them; the default registers all six', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const names = [RMS_NORM, RMS_NORM_GRAD, SWIGLU, SWIGLU_GRAD, ROTARY_HEADS, ROTARY_HEADS_GRAD];
    disableBlasMatMul();
    enableBlasMatMul({ backends: ['wasm'], kernels: { llama: false } });
    expect(names.filter((k) => tf.getKernel(k, 'wasm') !== undefined)).toEqual([]);
    disableBlasMatMul();
    enableBlasMatMul({ backends: ['wasm'] });
    expect(names.filter((k) => tf.getKernel(k, 'wasm') !== undefined)).toEqual(names);
  });

  it('1 and 3 kernel threads give bit-identical outputs and gradients ([1000, 576] rows, [512, 1536] SwiGLU, [2·256, 9·64] rotary)', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    enableBlasMatMul({ backends: ['wasm'] });
    const next = rng(21);
    const [x, w, dy] = [randTensor(next, [1000, 576]), randTensor(next, [576]), randTensor(next, [1000, 576])];
    const [gate, up, dg] = [randTensor(next, [512, 1536]), randTensor(next, [512, 1536]), randTensor(next, [512, 1536])];
    const [q, table, dq] = [randTensor(next, [512, 576]), randTensor(next, [2, 1, 256, 64]), randTensor(next, [2, 9, 256, 64])];
    const all = (): Float32Array[] => {
      const [y, rstd] = run(RMS_NORM, { x, weight: w }, { epsilon: 1e-5 });
      const outs = [y, rstd, ...run(RMS_NORM_GRAD, { x, weight: w, rstd, dy }), ...run(SWIGLU, { gate, up }), ...run(SWIGLU_GRAD, { gate, up, dy: dg })];
      outs.push(...run(ROTARY_HEADS, { x: q, cos: table, sin: table }, { batch: 2, heads: 9 }), ...run(ROTARY_HEADS_GRAD, { dy: dq, cos: table, sin: table }));
      const data = outs.map((t) => Float32Array.from(t.dataSync()));
      tf.dispose(outs);
      return data;
    };
    const before = setKernelThreads(0);
    try {
      setKernelThreads(1);
      const one = all();
      expect(setKernelThreads(3)).toBe(3);
      const three = all();
      one.forEach((a, i) => expect(Array.from(three[i]), `output ${i}`).toEqual(Array.from(a)));
    } finally {
      setKernelThreads(before);
      tf.dispose([x, w, dy, gate, up, dg, q, table, dq]);
    }
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`on ${backend}: RMSNorm y, rstd, dx, dweight match float64 within 2e-6 relative (odd sizes, 1000 rows split over threads, offset rows); the backward matches a finite difference of the forward within 2e-3`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      enableBlasMatMul({ backends: [backend] });
      const next = rng(11);
      for (const [n, C] of [[1, 1], [3, 5], [7, 33], [1000, 576]]) {
        const eps = 1e-5;
        const [x, weight, dy] = [randTensor(next, [n, C]), randTensor(next, [C]), randTensor(next, [n, C])];
        const xs = x.dataSync() as Float32Array;
        if (n > 2) for (let j = 0; j < C; j++) xs[(n - 1) * C + j] += 16; // a row far from 0
        const xo = tf.tensor2d(xs, [n, C]);
        const before = tf.memory().numTensors;
        const [y, rstd] = run(RMS_NORM, { x: xo, weight }, { epsilon: eps });
        const [dx, dweight] = run(RMS_NORM_GRAD, { x: xo, weight, rstd, dy });
        expect(tf.memory().numTensors).toBe(before + 4);
        const want = rmsReference(f64(xo), f64(weight), f64(dy), n, C, eps);
        const what = `[${n}, ${C}] on ${backend}`;
        expect(relError(y.dataSync(), want.y), `y ${what}`).toBeLessThan(2e-6);
        expect(relError(rstd.dataSync(), want.rstd), `rstd ${what}`).toBeLessThan(2e-7);
        expect(relError(dx.dataSync(), want.dx), `dx ${what}`).toBeLessThan(2e-6);
        expect(relError(dweight.dataSync(), want.dw), `dweight ${what}`).toBeLessThan(2e-6);
        // d/dh Σ dy·y(x + h·u, w + h·v) at h = 0 equals dx·u + dweight·v
        const [u, v] = [randTensor(next, [n, C]), randTensor(next, [C])];
        const h = 1e-2;
        const side = (sign: number): number => {
          const [xp, wp] = [tf.add(xo, tf.mul(u, sign * h)), tf.add(weight, tf.mul(v, sign * h))];
          const outs = run(RMS_NORM, { x: xp, weight: wp }, { epsilon: eps });
          const l = dot(outs[0].dataSync(), dy.dataSync());
          tf.dispose([xp, wp, ...outs]);
          return l;
        };
        const fd = (side(1) - side(-1)) / (2 * h);
        const analytic = dot(dx.dataSync(), u.dataSync()) + dot(dweight.dataSync(), v.dataSync());
        expect(Math.abs(fd - analytic) / Math.max(1, Math.abs(analytic)), `finite difference ${what}`).toBeLessThan(2e-3);
        tf.dispose([x, xo, weight, dy, y, rstd, dx, dweight, u, v]);
      }
      expect(() => run(RMS_NORM, { x: tf.zeros([2, 3]), weight: tf.zeros([4]) }, { epsilon: 1e-5 })).toThrow(/weight must be float32 \[3\], got float32 \[4\]/);
      expect(() => run(RMS_NORM, { x: tf.zeros([2, 3]), weight: tf.zeros([3]) }, {})).toThrow(/attrs.epsilon must be a number/);
    });

    it(`on ${backend}: SwiGLU silu(gate)·up and its gradients match float64 within 1e-6 relative (gates up to ±30); the backward matches a finite difference within 2e-3`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      enableBlasMatMul({ backends: [backend] });
      const next = rng(12);
      for (const shape of [[1, 1], [5, 7], [512, 1536]]) {
        const [g0, up, dy] = [randTensor(next, shape), randTensor(next, shape), randTensor(next, shape)];
        const gate = tf.mul(g0, 30); // far into both tails of the sigmoid
        const [out] = run(SWIGLU, { gate, up });
        const [dgate, dup] = run(SWIGLU_GRAD, { gate, up, dy });
        const [g, u, d] = [f64(gate), f64(up), f64(dy)];
        const want = { out: new Float64Array(g.length), dgate: new Float64Array(g.length), dup: new Float64Array(g.length) };
        for (let i = 0; i < g.length; i++) {
          const s = 1 / (1 + Math.exp(-g[i]));
          want.out[i] = g[i] * s * u[i];
          want.dup[i] = d[i] * g[i] * s;
          want.dgate[i] = d[i] * u[i] * (s + g[i] * s * (1 - s));
        }
        const what = `[${shape}] on ${backend}`;
        expect(relError(out.dataSync(), want.out), `out ${what}`).toBeLessThan(1e-6);
        expect(relError(dgate.dataSync(), want.dgate), `dgate ${what}`).toBeLessThan(1e-6);
        expect(relError(dup.dataSync(), want.dup), `dup ${what}`).toBeLessThan(1e-6);
        const [a, b] = [randTensor(next, shape), randTensor(next, shape)];
        const h = 1e-2;
        const side = (sign: number): number => {
          const [gp, upp] = [tf.add(g0.mul(30), tf.mul(a, sign * h)), tf.add(up, tf.mul(b, sign * h))];
          const [o] = run(SWIGLU, { gate: gp, up: upp });
          const l = dot(o.dataSync(), dy.dataSync());
          tf.dispose([gp, upp, o]);
          return l;
        };
        const fd = (side(1) - side(-1)) / (2 * h);
        const analytic = dot(dgate.dataSync(), a.dataSync()) + dot(dup.dataSync(), b.dataSync());
        expect(Math.abs(fd - analytic) / Math.max(1, Math.abs(analytic)), `finite difference ${what}`).toBeLessThan(2e-3);
        tf.dispose([g0, gate, up, dy, out, dgate, dup, a, b]);
      }
      expect(() => run(SWIGLU, { gate: tf.zeros([2, 3]), up: tf.zeros([3, 2]) })).toThrow(/up must be float32 \[2,3\]/);
    });

    it(`on ${backend}: rotary into heads matches float64 (positions up to 4000, theta 1e4) within 1e-6; its gradient is the inverse rotation back to rows (float64 within 1e-6, finite difference within 2e-3)`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      enableBlasMatMul({ backends: [backend] });
      const next = rng(13);
      for (const [B, T, H, D] of [[1, 1, 1, 2], [2, 5, 3, 8], [2, 256, 9, 64]]) {
        const half = D / 2;
        const pos = (b: number, t: number) => (b === 0 ? t : 4000 - 7 * t);
        const inv = (i: number) => 1 / 10000 ** ((2 * i) / D);
        // the tables as @grpojs/model's rotaryTables builds them: float64 angles rounded once, both halves equal
        const cosV = new Float32Array(B * T * D);
        const sinV = new Float32Array(B * T * D);
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < T; t++) {
            for (let i = 0; i < half; i++) {
              const a = pos(b, t) * inv(i);
              cosV[(b * T + t) * D + i] = cosV[(b * T + t) * D + half + i] = Math.cos(a);
              sinV[(b * T + t) * D + i] = sinV[(b * T + t) * D + half + i] = Math.sin(a);
            }
          }
        }
        const [cos, sin] = [tf.tensor4d(cosV, [B, 1, T, D]), tf.tensor4d(sinV, [B, 1, T, D])];
        const [x, dy] = [randTensor(next, [B * T, H * D]), randTensor(next, [B, H, T, D])];
        const [y] = run(ROTARY_HEADS, { x, cos, sin }, { batch: B, heads: H });
        const [dx] = run(ROTARY_HEADS_GRAD, { dy, cos, sin });
        expect(y.shape).toEqual([B, H, T, D]);
        expect(dx.shape).toEqual([B * T, H * D]);
        const angle = (b: number, t: number, i: number) => pos(b, t) * inv(i);
        const what = `[${B}, ${T}, ${H}, ${D}] on ${backend}`;
        // float32 cos/sin tables: their rounding (≤ 6e-8 each) is the kernel's only error source
        expect(relError(y.dataSync(), rotaryReference(f64(x), B, T, H, D, angle)), `y ${what}`).toBeLessThan(1e-6);
        // dx = Rᵀ·dy: the reference rotates dy (moved to rows) by the negative angles
        const dyRows = f64(tf.reshape(tf.transpose(dy, [0, 2, 1, 3]), [B * T, H * D]));
        const wantDx = rotaryReference(dyRows, B, T, H, D, (b, t, i) => -angle(b, t, i));
        const gotDx = f64(tf.reshape(tf.transpose(tf.reshape(dx, [B, T, H, D]), [0, 2, 1, 3]), [B * T, H * D]));
        expect(relError(gotDx, wantDx), `dx ${what}`).toBeLessThan(1e-6);
        const u = randTensor(next, [B * T, H * D]);
        const h = 1e-2;
        const side = (sign: number): number => {
          const xp = tf.add(x, tf.mul(u, sign * h));
          const [o] = run(ROTARY_HEADS, { x: xp, cos, sin }, { batch: B, heads: H });
          const l = dot(o.dataSync(), dy.dataSync());
          tf.dispose([xp, o]);
          return l;
        };
        const fd = (side(1) - side(-1)) / (2 * h);
        const analytic = dot(dx.dataSync(), u.dataSync());
        expect(Math.abs(fd - analytic) / Math.max(1, Math.abs(analytic)), `finite difference ${what}`).toBeLessThan(2e-3);
        tf.dispose([cos, sin, x, dy, y, dx, u]);
      }
      const table = tf.zeros([1, 1, 2, 4]);
      expect(() => run(ROTARY_HEADS, { x: tf.zeros([2, 12]), cos: table, sin: table }, { batch: 1, heads: 2 })).toThrow(/x must be float32 \[2,8\]/);
      expect(() => run(ROTARY_HEADS, { x: tf.zeros([2, 8]), cos: table, sin: table }, { batch: 2, heads: 2 })).toThrow(/cos must be \[2, 1, T, D\]/);
    });
  }
});
