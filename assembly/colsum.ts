// Column sums of a row-major matrix added into a vector: the bias gradient of a linear layer.
// Each column is summed row by row in float32, four columns per f32x4 lane group: the same
// additions in the same order as the js backend's loop (which rounds each sum to float32 on
// store), so the same bits.

/** out[j] += x[0, j] + x[1, j] + ... + x[rows-1, j], for x [rows, cols] float32. */
export function addColumnSums(x: usize, out: usize, rows: i32, cols: i32): void {
  const stride = (<usize>cols) << 2;
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const o = (<usize>j) << 2;
    let acc = v128.load(out + o);
    let p = x + o;
    for (let r = 0; r < rows; r++) {
      acc = f32x4.add(acc, v128.load(p));
      p += stride;
    }
    v128.store(out + o, acc);
  }
  for (; j < cols; j++) {
    const o = (<usize>j) << 2;
    let acc = load<f32>(out + o);
    let p = x + o;
    for (let r = 0; r < rows; r++) {
      acc += load<f32>(p);
      p += stride;
    }
    store<f32>(out + o, acc);
  }
}
