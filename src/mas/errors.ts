/**
 * Errors of the multi-agent runtime. All extend OsmosisError so callers can catch the whole
 * project's failures in one place, and each subclass names the layer at fault (clock, message,
 * delivery, protocol, sweep) so the fix is obvious from the type alone.
 */
import { OsmosisError } from '../core/errors.js';

/** Base class of every error raised under src/mas. */
export class MasError extends OsmosisError {}
/** Misuse of the scheduler: a time in the past, a non-finite interval, an unknown agent id. */
export class ScheduleError extends MasError {}
/** A FIPA-ACL message that fails its schema (unknown performative, missing receivers, ...). */
export class AclError extends MasError {}
/** A message that cannot enter the bus at all (unregistered sender, duplicate mailbox). */
export class DeliveryError extends MasError {}
/** An interaction protocol used out of order (started twice, wrong performative to start with). */
export class ProtocolError extends MasError {}
/** A parameter sweep that cannot run (bad grid, unloadable module, missing export). */
export class SweepError extends MasError {}
