import { dropout, ValueError, type Generator, type Tensor } from '../../core/index.js';
import { Module } from '../module.js';

/** Inverted dropout while training, identity in eval mode (torch.nn.Dropout). */
export class Dropout extends Module {
  readonly p: number;
  readonly #rng: Generator | null;

  /** rng may be omitted only when p is 0. */
  constructor(p = 0.5, rng?: Generator) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ValueError(`Dropout: p must be in [0, 1], got ${p}`);
    if (p > 0 && !rng) throw new ValueError(`Dropout: p=${p} needs an rng (a seeded Generator)`);
    this.p = p;
    this.#rng = rng ?? null;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropout(x, this.p, this.#rng!, true);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
