/**
 * Gymnasium's RunningMeanStd: running mean and variance merged batch by batch (Chan et al.'s
 * parallel form of Welford's update). `count` starts at epsilon as in Gymnasium, so the first
 * update moves the mean almost all the way to the sample and the variance stays defined.
 */
export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count: number;

  constructor(size: number, epsilon = 1e-4) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = epsilon;
  }

  /** Adds one sample. */
  update(x: ArrayLike<number>): void {
    this.updateFromMoments(x, null, 1);
  }

  /** Merges a batch's mean, (population) variance and count; null variance means 0. */
  updateFromMoments(
    batchMean: ArrayLike<number>,
    batchVar: ArrayLike<number> | null,
    batchCount: number,
  ): void {
    const tot = this.count + batchCount;
    for (let i = 0; i < this.mean.length; i++) {
      const delta = batchMean[i] - this.mean[i];
      const mA = this.var[i] * this.count;
      const mB = (batchVar ? batchVar[i] : 0) * batchCount;
      const m2 = mA + mB + (delta * delta * this.count * batchCount) / tot;
      this.mean[i] = this.mean[i] + (delta * batchCount) / tot;
      this.var[i] = m2 / tot;
    }
    this.count = tot;
  }
}
