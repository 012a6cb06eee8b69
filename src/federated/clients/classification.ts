/**
 * A classification client: an MLP body and a linear head (state-dict names `body.*`, `head.*`),
 * trained by minibatch SGD on data that stays inside the object. `fit` loads whatever shared
 * parameters the server sent (all of them under FedAvg, the body under the multi-task strategy,
 * nothing for local-only), trains the whole model, and returns only the names it was sent.
 */
import { crossEntropy, Generator, memoryScope, noGrad, Tensor } from '../../core/index.js';
import { Linear, MLP, Module } from '../../nn/index.js';
import { SGD } from '../../optim/index.js';
import type { EvalResult, FederatedClient, FitResult, ClientProfile } from '../client.js';
import { cloneParams, type ParamMap } from '../params.js';
import type { FitConfig } from '../strategies/types.js';
import type { ClientData } from './synthetic.js';

export class Classifier extends Module {
  body: MLP;
  head: Linear;

  constructor(dim: number, hidden: readonly number[], classes: number, rng: Generator) {
    super();
    this.body = new MLP([dim, ...hidden], {
      activation: 'tanh',
      outputActivation: 'tanh',
      rng,
    });
    this.head = new Linear(hidden[hidden.length - 1], classes, { rng });
  }

  forward(x: Tensor): Tensor {
    return this.head.forward(this.body.forward(x));
  }
}

export interface ClassificationClientOptions {
  hidden: readonly number[];
  lr: number;
  batchSize: number;
  /** Draws the client's initial weights and its minibatch order. */
  seed: number;
  profile?: Partial<ClientProfile>;
}

export class ClassificationClient implements FederatedClient {
  readonly id: string;
  readonly numExamples: number;
  readonly profile?: Partial<ClientProfile>;
  /** Private: the model, including the parameters the server never sees. */
  readonly #model: Classifier;
  readonly #data: ClientData;
  readonly #rng: Generator;

  constructor(
    data: ClientData,
    private readonly options: ClassificationClientOptions,
  ) {
    this.id = data.id;
    this.numExamples = data.yTrain.length;
    this.profile = options.profile;
    this.#data = data;
    this.#rng = new Generator(options.seed);
    this.#model = new Classifier(data.dim, options.hidden, data.classes, this.#rng.spawn());
  }

  /** The full model's parameters (what a server would start from). */
  initialParams(): ParamMap {
    return this.#model.stateDict();
  }

  private load(shared: ParamMap): void {
    if (shared.size > 0) this.#model.loadStateDict(shared, { strict: false });
  }

  private lossOn(x: Float32Array, y: Int32Array): { loss: number; accuracy: number } {
    return noGrad(() => {
      const n = y.length;
      const logits = this.#model.forward(new Tensor(x, [n, this.#data.dim]));
      const loss = crossEntropy(logits, new Tensor(y, [n])).item();
      const C = this.#data.classes;
      let right = 0;
      for (let r = 0; r < n; r++) {
        let best = 0;
        for (let c = 1; c < C; c++)
          if (logits.data[r * C + c] > logits.data[r * C + best]) best = c;
        if (best === y[r]) right += 1;
      }
      return { loss, accuracy: right / n };
    });
  }

  fit(shared: ParamMap, config: FitConfig): FitResult {
    this.load(shared);
    const d = this.#data;
    const before = this.lossOn(d.xTrain, d.yTrain).loss;
    const anchor = cloneParams(shared);
    const named = new Map(this.#model.namedParameters());
    const prox = [...anchor].map(([k, t]) => [named.get(k)!, t] as const);
    const params = this.#model.parameters();
    const opt = new SGD(params, { lr: this.options.lr });
    const n = this.numExamples;
    const B = Math.min(this.options.batchSize, n);
    const x = new Float32Array(B * d.dim);
    const y = new Int32Array(B);
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      const order = this.#rng.permutation(n);
      for (let start = 0; start < n; start += B) {
        const b = Math.min(B, n - start);
        for (let r = 0; r < b; r++) {
          const i = order[start + r];
          x.set(d.xTrain.subarray(i * d.dim, (i + 1) * d.dim), r * d.dim);
          y[r] = d.yTrain[i];
        }
        // One scope per step: the step's activations and gradients return to the pool, so
        // local epochs allocate nothing once the batch shapes have been seen.
        memoryScope(() => {
          const logits = this.#model.forward(new Tensor(x.slice(0, b * d.dim), [b, d.dim]));
          const loss = crossEntropy(logits, new Tensor(y.slice(0, b), [b]));
          opt.zeroGrad();
          loss.backward();
          if (config.proximalMu > 0) {
            // ∇ μ/2‖θ − θ_global‖² = μ(θ − θ_global), on the shared parameters only.
            for (const [p, g0] of prox) {
              if (!p.grad) continue;
              const gd = p.grad.data;
              for (let i = 0; i < gd.length; i++)
                gd[i] += config.proximalMu * (p.data[i] - g0.data[i]);
            }
          }
          opt.step();
        });
      }
    }
    const state = this.#model.stateDict();
    return {
      params: new Map([...shared.keys()].map((k) => [k, state.get(k)!])),
      numExamples: n,
      loss: before,
    };
  }

  evaluate(shared: ParamMap): EvalResult {
    this.load(shared);
    const d = this.#data;
    const r = this.lossOn(d.xTest, d.yTest);
    return { loss: r.loss, score: r.accuracy, numExamples: d.yTest.length };
  }
}
