import { OsmosisError } from '../core/errors.js';

/** Anything the federated simulation refuses: names the round, the clients and the reason. */
export class FederatedError extends OsmosisError {}

/**
 * Not enough clients to run or aggregate a round: fewer available than `minClients`, or fewer
 * valid results than `minResults` after failures and exclusions. The global model is unchanged.
 */
export class TooFewClientsError extends FederatedError {
  constructor(
    message: string,
    readonly have: number,
    readonly need: number,
  ) {
    super(message);
  }
}
