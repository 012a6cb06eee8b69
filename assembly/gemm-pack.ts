// Packing copies a block of op(A) or op(B) into the order the micro-kernel reads it: slivers of
// MR rows (A) or NR columns (B), k-major, zero-padded to full width at the matrix edge. The
// transposes are absorbed here, so all four (transA, transB) combinations reach the same kernel
// with the same contiguous, unit-stride access pattern. alpha is folded into the A copy.
//
// When the stored rows run along m (A transposed) or n (B not transposed), each sliver takes a
// few floats from every row, and rows are ld floats apart: at 1024 floats (4 KB) all rows map
// to the same L1 sets, so filling one sliver down all kc rows, then the next, thrashed L1
// (0.54 ns per element for A, against 0.13 for the transposing direction). Those directions
// walk PB rows at a time across all slivers instead, while those rows' lines stay in L1.

import { MR, NR } from './gemm-kernel';

/** Rows walked across all slivers at once (their lines, one per row and sliver pair, fit L1). */
const PB: i32 = 8;
/** Bytes per k step of a packed A sliver. */
const SA: i32 = MR * 4;

// Lane q of trK(r0, r1, r2, r3) is lane K of row q: a 4x4 transpose, one output row each.
function lo01(r0: v128, r1: v128): v128 {
  return f32x4.shuffle(r0, r1, 0, 4, 1, 5);
}
function hi01(r0: v128, r1: v128): v128 {
  return f32x4.shuffle(r0, r1, 2, 6, 3, 7);
}
function tr0(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return f32x4.shuffle(lo01(r0, r1), lo01(r2, r3), 0, 1, 4, 5);
}
function tr1(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return f32x4.shuffle(lo01(r0, r1), lo01(r2, r3), 2, 3, 6, 7);
}
function tr2(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return f32x4.shuffle(hi01(r0, r1), hi01(r2, r3), 0, 1, 4, 5);
}
function tr3(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return f32x4.shuffle(hi01(r0, r1), hi01(r2, r3), 2, 3, 6, 7);
}

/**
 * Packs rows ic..ic+mc, k-range pc..pc+kc of alpha * op(A) into dst: sliver s (rows ic+MR s..)
 * starts at dst + MR s kc floats and holds element (r, p) at p MR + r.
 * A is [m, k] (ld = k), or [k, m] when transA (ld = m).
 */
export function packA(
  a: usize,
  transA: bool,
  ld: i32,
  ic: i32,
  mc: i32,
  pc: i32,
  kc: i32,
  alpha: f32,
  dst: usize,
): void {
  if (transA) packARows(a, ld, ic, mc, pc, kc, alpha, dst);
  else packACols(a, ld, ic, mc, pc, kc, alpha, dst);
}

/** A stored [k, m]: row p holds each sliver's MR values for that p contiguously. */
function packARows(
  a: usize,
  ld: i32,
  ic: i32,
  mc: i32,
  pc: i32,
  kc: i32,
  alpha: f32,
  dst: usize,
): void {
  const va = f32x4.splat(alpha);
  const rowBytes = (<usize>ld) << 2;
  for (let p0 = 0; p0 < kc; p0 += PB) {
    const p1 = min(p0 + PB, kc);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      const d = dst + ((<usize>(ir * kc)) << 2);
      let src = a + ((<usize>(pc + p0) * <usize>ld + <usize>(ic + ir)) << 2);
      for (let p = p0; p < p1; p++) {
        const o = d + <usize>(p * SA);
        if (mr == MR) {
          v128.store(o, f32x4.mul(v128.load(src), va));
          store<f32>(o, load<f32>(src, 16) * alpha, 16);
          if (MR == 6) store<f32>(o, load<f32>(src, 20) * alpha, 20);
        } else {
          let r = 0;
          for (; r < mr; r++)
            store<f32>(o + <usize>(r << 2), load<f32>(src + <usize>(r << 2)) * alpha);
          for (; r < MR; r++) store<f32>(o + <usize>(r << 2), 0);
        }
        src += rowBytes;
      }
    }
  }
}

/**
 * A stored [m, k]: each sliver's MR rows run along p; 4x4 transposes regroup the first four, and
 * the fifth (and sixth) row's values go in one by one.
 */
function packACols(
  a: usize,
  ld: i32,
  ic: i32,
  mc: i32,
  pc: i32,
  kc: i32,
  alpha: f32,
  dst: usize,
): void {
  const va = f32x4.splat(alpha);
  const rowBytes = (<usize>ld) << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const d = dst + ((<usize>(ir * kc)) << 2);
    const s0 = a + ((<usize>(ic + ir) * <usize>ld + <usize>pc) << 2);
    if (mr < MR) {
      for (let r = 0; r < MR; r++) {
        const s = s0 + <usize>r * rowBytes;
        const o = d + <usize>(r << 2);
        if (r < mr) {
          for (let p = 0; p < kc; p++) {
            store<f32>(o + <usize>(p * SA), load<f32>(s + <usize>(p << 2)) * alpha);
          }
        } else {
          for (let p = 0; p < kc; p++) store<f32>(o + <usize>(p * SA), 0);
        }
      }
      continue;
    }
    const s1 = s0 + rowBytes;
    const s2 = s1 + rowBytes;
    const s3 = s2 + rowBytes;
    const s4 = s3 + rowBytes;
    const s5 = s4 + rowBytes; // read only when MR is 6
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      const q = <usize>(p << 2);
      const r0 = f32x4.mul(v128.load(s0 + q), va);
      const r1 = f32x4.mul(v128.load(s1 + q), va);
      const r2 = f32x4.mul(v128.load(s2 + q), va);
      const r3 = f32x4.mul(v128.load(s3 + q), va);
      const r4 = f32x4.mul(v128.load(s4 + q), va);
      const o = d + <usize>(p * SA);
      v128.store(o, tr0(r0, r1, r2, r3));
      store<f32>(o, f32x4.extract_lane(r4, 0), 16);
      v128.store(o, tr1(r0, r1, r2, r3), SA);
      store<f32>(o, f32x4.extract_lane(r4, 1), SA + 16);
      v128.store(o, tr2(r0, r1, r2, r3), 2 * SA);
      store<f32>(o, f32x4.extract_lane(r4, 2), 2 * SA + 16);
      v128.store(o, tr3(r0, r1, r2, r3), 3 * SA);
      store<f32>(o, f32x4.extract_lane(r4, 3), 3 * SA + 16);
      if (MR == 6) {
        const r5 = f32x4.mul(v128.load(s5 + q), va);
        store<f32>(o, f32x4.extract_lane(r5, 0), 20);
        store<f32>(o, f32x4.extract_lane(r5, 1), SA + 20);
        store<f32>(o, f32x4.extract_lane(r5, 2), 2 * SA + 20);
        store<f32>(o, f32x4.extract_lane(r5, 3), 3 * SA + 20);
      }
    }
    for (; p < kc; p++) {
      const q = <usize>(p << 2);
      const o = d + <usize>(p * SA);
      store<f32>(o, load<f32>(s0 + q) * alpha);
      store<f32>(o, load<f32>(s1 + q) * alpha, 4);
      store<f32>(o, load<f32>(s2 + q) * alpha, 8);
      store<f32>(o, load<f32>(s3 + q) * alpha, 12);
      store<f32>(o, load<f32>(s4 + q) * alpha, 16);
      if (MR == 6) store<f32>(o, load<f32>(s5 + q) * alpha, 20);
    }
  }
}

/**
 * Packs columns jc..jc+nc, k-range pc..pc+kc of op(B) into dst: sliver s (columns jc+8s..)
 * starts at dst + 8s * kc floats and holds element (p, c) at p * 8 + c.
 * B is [k, n] (ld = n), or [n, k] when transB (ld = k).
 */
export function packB(
  b: usize,
  transB: bool,
  ld: i32,
  jc: i32,
  nc: i32,
  pc: i32,
  kc: i32,
  dst: usize,
): void {
  if (transB) packBCols(b, ld, jc, nc, pc, kc, dst);
  else packBRows(b, ld, jc, nc, pc, kc, dst);
}

/** B stored [k, n]: row p holds each sliver's NR values for that p contiguously. */
function packBRows(b: usize, ld: i32, jc: i32, nc: i32, pc: i32, kc: i32, dst: usize): void {
  const rowBytes = (<usize>ld) << 2;
  for (let p0 = 0; p0 < kc; p0 += PB) {
    const p1 = min(p0 + PB, kc);
    for (let jr = 0; jr < nc; jr += NR) {
      const nr = min(NR, nc - jr);
      const d = dst + ((<usize>(jr * kc)) << 2);
      let src = b + ((<usize>(pc + p0) * <usize>ld + <usize>(jc + jr)) << 2);
      for (let p = p0; p < p1; p++) {
        const o = d + ((<usize>p) << 5);
        if (nr == NR) {
          v128.store(o, v128.load(src));
          v128.store(o, v128.load(src, 16), 16);
        } else {
          let c = 0;
          for (; c < nr; c++) store<f32>(o + <usize>(c << 2), load<f32>(src + <usize>(c << 2)));
          for (; c < NR; c++) store<f32>(o + <usize>(c << 2), 0);
        }
        src += rowBytes;
      }
    }
  }
}

/** B stored [n, k]: each sliver's eight rows run along p; two 4x4 transposes regroup them. */
function packBCols(b: usize, ld: i32, jc: i32, nc: i32, pc: i32, kc: i32, dst: usize): void {
  const rs = (<usize>ld) << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const d = dst + ((<usize>(jr * kc)) << 2);
    const s0 = b + ((<usize>(jc + jr) * <usize>ld + <usize>pc) << 2);
    if (nr < NR) {
      for (let c = 0; c < NR; c++) {
        const s = s0 + <usize>c * rs;
        const o = d + <usize>(c << 2);
        if (c < nr) {
          for (let p = 0; p < kc; p++)
            store<f32>(o + ((<usize>p) << 5), load<f32>(s + <usize>(p << 2)));
        } else {
          for (let p = 0; p < kc; p++) store<f32>(o + ((<usize>p) << 5), 0);
        }
      }
      continue;
    }
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      const q = s0 + ((<usize>p) << 2);
      const r0 = v128.load(q);
      const r1 = v128.load(q + rs);
      const r2 = v128.load(q + 2 * rs);
      const r3 = v128.load(q + 3 * rs);
      const r4 = v128.load(q + 4 * rs);
      const r5 = v128.load(q + 5 * rs);
      const r6 = v128.load(q + 6 * rs);
      const r7 = v128.load(q + 7 * rs);
      const o = d + ((<usize>p) << 5);
      v128.store(o, tr0(r0, r1, r2, r3));
      v128.store(o, tr0(r4, r5, r6, r7), 16);
      v128.store(o, tr1(r0, r1, r2, r3), 32);
      v128.store(o, tr1(r4, r5, r6, r7), 48);
      v128.store(o, tr2(r0, r1, r2, r3), 64);
      v128.store(o, tr2(r4, r5, r6, r7), 80);
      v128.store(o, tr3(r0, r1, r2, r3), 96);
      v128.store(o, tr3(r4, r5, r6, r7), 112);
    }
    for (; p < kc; p++) {
      const q = s0 + ((<usize>p) << 2);
      const o = d + ((<usize>p) << 5);
      for (let c = 0; c < NR; c++) store<f32>(o + <usize>(c << 2), load<f32>(q + <usize>c * rs));
    }
  }
}
