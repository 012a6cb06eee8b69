/**
 * Local-only training, the no-federation baseline: nothing is shared, so nothing is sent or
 * averaged; each client trains its whole model on its own data. It runs through the same rounds
 * (sampling, stragglers, drop-outs) so that budgets match the federated strategies.
 */
import { cloneParams, type ParamMap } from '../params.js';
import type { AggregateOptions, ClientFailure, ClientResult, Strategy } from './types.js';
import { partitionResults } from './validate.js';

export function localOnlyAggregate(
  global: ParamMap,
  results: readonly ClientResult[],
  failures: readonly ClientFailure[],
  _options: AggregateOptions,
) {
  const { valid, excluded } = partitionResults(global, results);
  return {
    global: cloneParams(global),
    report: {
      included: valid.map((r) => ({ clientId: r.clientId, weight: 0 })),
      excluded,
      failures: [...failures],
    },
  };
}

export function localOnly(): Strategy {
  return {
    name: 'local',
    shares: () => false,
    fitConfig: (round, epochs) => ({ round, proximalMu: 0, epochs }),
    aggregate: localOnlyAggregate,
  };
}
