/**
 * Federated multi-task learning with a shared body and per-client heads: the server owns and
 * averages the body; each client's head (every parameter under `headPrefix`) is trained and kept
 * on the client and never sent. Each client thus solves its own task L_k(body, head_k), related
 * to the others through the shared representation: the personalisation of MOCHA (Smith et al.
 * 2017), which couples per-client models through a learned task-relationship matrix, done
 * instead as FedPer / FedRep do (Arivazhagan et al. 2019; Collins et al. 2021), which scales to
 * neural networks. FedProx's μ may be applied to the shared body.
 */
import type { ParamMap } from '../params.js';
import type { AggregateOptions, ClientFailure, ClientResult, Strategy } from './types.js';
import { weightedMeanAggregate } from './validate.js';

export function multiTaskAggregate(
  global: ParamMap,
  results: readonly ClientResult[],
  failures: readonly ClientFailure[],
  options: AggregateOptions,
) {
  // The global model holds only the body, so a result carrying head tensors is a mismatch.
  return weightedMeanAggregate('multitask', global, results, failures, options);
}

export function multiTask(options: { headPrefix?: string; mu?: number } = {}): Strategy {
  const prefix = options.headPrefix ?? 'head.';
  return {
    name: 'multitask',
    shares: (name) => !name.startsWith(prefix),
    fitConfig: (round, epochs) => ({ round, proximalMu: options.mu ?? 0, epochs }),
    aggregate: multiTaskAggregate,
  };
}
