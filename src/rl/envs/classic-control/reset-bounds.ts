import { ValueError } from '../../../core/errors.js';

/**
 * Gymnasium's `utils.maybe_parse_reset_bounds`: reset options may override the default
 * initial-state interval with `low` / `high`.
 */
export function maybeParseResetBounds(
  options: Record<string, unknown> | undefined,
  defaultLow: number,
  defaultHigh: number,
): [number, number] {
  if (options === undefined || options === null) return [defaultLow, defaultHigh];
  const low = options.low ?? defaultLow;
  const high = options.high ?? defaultHigh;
  if (typeof low !== 'number' || typeof high !== 'number' || !(low < high)) {
    throw new ValueError(
      `reset options: need numbers low < high, got low=${String(low)}, high=${String(high)}`,
    );
  }
  return [low, high];
}
