import { OsmosisError } from '../core/errors.js';

/** A tokenizer file that cannot be read or used, or an input a tokenizer cannot encode. */
export class TokenizerError extends OsmosisError {}
