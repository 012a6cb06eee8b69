/**
 * A federated client: it owns its task, data and any private parameters (a per-client head), and
 * the server sees only what `fit` returns. In the simulation each client is an in-process object;
 * `profile` describes the device it stands for (speed, bandwidth, reliability).
 */
import type { ParamMap } from './params.js';
import type { FitConfig } from './strategies/types.js';

export interface FitResult {
  /** The shared parameters after local training: exactly the names the server sent. */
  params: ParamMap;
  numExamples: number;
  /** Loss of the received shared parameters on the local training data, before training. */
  loss: number;
  metrics?: Record<string, number>;
}

export interface EvalResult {
  loss: number;
  /** Higher is better (accuracy in [0, 1], a mean return, ...). */
  score: number;
  numExamples: number;
}

/** The simulated device behind a client. */
export interface ClientProfile {
  /** Seconds of compute per training example per local epoch. */
  secondsPerExample: number;
  /** Link speed, both directions, in bytes per second. */
  bytesPerSecond: number;
  /** Probability of vanishing in a round after receiving the model (no update comes back). */
  dropoutProb: number;
}

export const DEFAULT_PROFILE: ClientProfile = Object.freeze({
  secondsPerExample: 0.001,
  bytesPerSecond: 1e6,
  dropoutProb: 0,
});

export interface FederatedClient {
  readonly id: string;
  /** Training examples (for data-size weights and the latency model). */
  readonly numExamples: number;
  readonly profile?: Partial<ClientProfile>;
  fit(shared: ParamMap, config: FitConfig): FitResult | Promise<FitResult>;
  evaluate(shared: ParamMap): EvalResult | Promise<EvalResult>;
}
