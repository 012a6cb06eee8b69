/**
 * FedAvg (McMahan et al. 2017): every parameter is shared; the server's new model is the ω-weighted
 * mean of the clients' locally trained models, θ ← Σ_k ω_k θ_k (ω by data size in the paper;
 * any rule of weights.ts here). Excluded and failed clients do not take part.
 */
import type { ParamMap } from '../params.js';
import type { AggregateOptions, ClientFailure, ClientResult, Strategy } from './types.js';
import { weightedMeanAggregate } from './validate.js';

export function fedAvgAggregate(
  global: ParamMap,
  results: readonly ClientResult[],
  failures: readonly ClientFailure[],
  options: AggregateOptions,
) {
  return weightedMeanAggregate('fedavg', global, results, failures, options);
}

export function fedAvg(): Strategy {
  return {
    name: 'fedavg',
    shares: () => true,
    fitConfig: (round, epochs) => ({ round, proximalMu: 0, epochs }),
    aggregate: fedAvgAggregate,
  };
}
