/**
 * FedProx (Li et al. 2020): FedAvg's aggregation, but each client minimises
 * L_k(θ) + μ/2·‖θ − θ_global‖², which keeps heterogeneous clients from drifting far from the
 * global model during local training; the server's average is unchanged. Stragglers may send
 * partial work (fewer local epochs) instead of being dropped (server option `stragglers`).
 */
import type { ParamMap } from '../params.js';
import { ValueError } from '../../core/index.js';
import type { AggregateOptions, ClientFailure, ClientResult, Strategy } from './types.js';
import { weightedMeanAggregate } from './validate.js';

export function fedProxAggregate(
  global: ParamMap,
  results: readonly ClientResult[],
  failures: readonly ClientFailure[],
  options: AggregateOptions,
) {
  return weightedMeanAggregate('fedprox', global, results, failures, options);
}

export function fedProx(mu: number): Strategy {
  if (!(mu >= 0) || !Number.isFinite(mu))
    throw new ValueError(`fedProx: mu must be >= 0, got ${mu}`);
  return {
    name: 'fedprox',
    shares: () => true,
    fitConfig: (round, epochs) => ({ round, proximalMu: mu, epochs }),
    aggregate: fedProxAggregate,
  };
}
