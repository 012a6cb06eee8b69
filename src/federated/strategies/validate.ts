/**
 * The checks every strategy runs before averaging: a result with non-finite values, with other
 * names/shapes/dtypes than the global model, with a bad example count or loss, or from a client
 * that already answered, is excluded and reported; the rest are weighted and averaged.
 */
import { TooFewClientsError } from '../errors.js';
import {
  cloneParams,
  nonFinite,
  paramMismatch,
  weightedAverage,
  type ParamMap,
} from '../params.js';
import { clientWeights } from '../weights.js';
import type {
  AggregateOptions,
  AggregateReport,
  ClientFailure,
  ClientResult,
  Exclusion,
} from './types.js';

export function partitionResults(
  global: ParamMap,
  results: readonly ClientResult[],
): { valid: ClientResult[]; excluded: Exclusion[] } {
  const valid: ClientResult[] = [];
  const excluded: Exclusion[] = [];
  const seen = new Set<string>();
  for (const r of results) {
    const id = String(r?.clientId);
    if (seen.has(id)) {
      excluded.push({
        clientId: id,
        reason: 'duplicate',
        detail: 'a second result from this client',
      });
      continue;
    }
    seen.add(id);
    if (!Number.isSafeInteger(r.numExamples) || r.numExamples <= 0) {
      excluded.push({
        clientId: id,
        reason: 'bad-metadata',
        detail: `numExamples ${r.numExamples}`,
      });
      continue;
    }
    if (typeof r.loss !== 'number' || !Number.isFinite(r.loss) || r.loss < 0) {
      excluded.push({ clientId: id, reason: 'non-finite', detail: `loss ${r.loss}` });
      continue;
    }
    const mismatch = paramMismatch(global, r.params);
    if (mismatch !== null) {
      excluded.push({ clientId: id, reason: 'mismatch', detail: mismatch });
      continue;
    }
    const bad = nonFinite(r.params);
    if (bad !== null) {
      excluded.push({ clientId: id, reason: 'non-finite', detail: bad });
      continue;
    }
    valid.push(r);
  }
  return { valid, excluded };
}

/** Validate, weight (ω rule), and average the valid results into a new global model. */
export function weightedMeanAggregate(
  strategy: string,
  global: ParamMap,
  results: readonly ClientResult[],
  failures: readonly ClientFailure[],
  options: AggregateOptions,
): { global: ParamMap; report: AggregateReport } {
  const { valid, excluded } = partitionResults(global, results);
  const need = options.minResults ?? 1;
  if (valid.length < need) {
    const why = [
      ...excluded.map((e) => `${e.clientId}: ${e.reason} (${e.detail})`),
      ...failures.map((f) => `${f.clientId}: ${f.reason}`),
    ];
    throw new TooFewClientsError(
      `${strategy}.aggregate: ${valid.length} valid result(s), need at least ${need}; global model unchanged${why.length ? `; ${why.join('; ')}` : ''}`,
      valid.length,
      need,
    );
  }
  if (valid.length === 0) {
    return {
      global: cloneParams(global),
      report: { included: [], excluded, failures: [...failures] },
    };
  }
  const weights = clientWeights(valid, options.weighting);
  return {
    global: weightedAverage(
      global,
      valid.map((r) => r.params),
      weights,
      options.serverLr ?? 1,
    ),
    report: {
      included: valid.map((r, i) => ({ clientId: r.clientId, weight: weights[i] })),
      excluded,
      failures: [...failures],
    },
  };
}
