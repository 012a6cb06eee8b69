import type { ParamMap } from '../params.js';
import type { Weighting } from '../weights.js';

/** What the server asks of each client in a round. */
export interface FitConfig {
  round: number;
  /** FedProx's μ: the client adds μ/2·‖θ − θ_global‖² over the shared parameters (0: none). */
  proximalMu: number;
  /** Local epochs; fewer than configured when a straggler is allowed partial work. */
  epochs: number;
}

/** One client's answer to a round. */
export interface ClientResult {
  clientId: string;
  /** The shared parameters after local training (only those the server sent). */
  params: ParamMap;
  numExamples: number;
  /** Loss of the received global model on the client's training data, before training. */
  loss: number;
  metrics?: Record<string, number>;
}

/** A client that did not answer in time or at all. */
export interface ClientFailure {
  clientId: string;
  reason: 'error' | 'timeout' | 'straggler' | 'dropout';
  message: string;
}

/** A result that arrived but is not used. */
export interface Exclusion {
  clientId: string;
  reason: 'non-finite' | 'mismatch' | 'bad-metadata' | 'duplicate';
  detail: string;
}

export interface AggregateOptions {
  weighting: Weighting;
  /** Fewer valid results than this: TooFewClientsError, global unchanged (default 1). */
  minResults?: number;
  /** global + serverLr·(weighted mean − global); 1 (default) is the weighted mean. */
  serverLr?: number;
}

export interface AggregateReport {
  included: { clientId: string; weight: number }[];
  excluded: Exclusion[];
  failures: ClientFailure[];
}

/**
 * Aggregation as a pure function of the global model and what came back: it never mutates its
 * inputs, and an excluded result has no influence on the output.
 */
export type AggregateFn = (
  global: ParamMap,
  results: readonly ClientResult[],
  failures: readonly ClientFailure[],
  options: AggregateOptions,
) => { global: ParamMap; report: AggregateReport };

export interface Strategy {
  readonly name: string;
  /** Whether the server owns a parameter of the client model (sends it down, averages it). */
  shares(name: string): boolean;
  fitConfig(round: number, epochs: number): FitConfig;
  aggregate: AggregateFn;
}
