import { OsmosisError } from '../core/errors.js';

/** A data file that is missing, malformed or inconsistent; the message names the file and where. */
export class DatasetError extends OsmosisError {}
