import { ConfigError } from '../../core/index.js';

/**
 * Which modules a method targets, matched as PEFT's check_target_module_exists does:
 * - a list of names matches a module path equal to a name or ending in `.name`;
 * - a string is a regular expression that must match the whole path (re.fullmatch);
 * - layers_to_transform keeps only blocks with those indices, found through layers_pattern
 *   (`.h.3.`, `.layers.3.`; without a pattern, any `.name.3.` segment).
 */

export type TargetModules = string | readonly string[] | null;

/** A Python-style fullmatch regex from a PEFT config string. */
export function fullMatchRegex(pattern: string, field: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    throw new ConfigError(
      `PEFT config: field '${field}': invalid regular expression '${pattern}'`,
      {
        cause: err,
      },
    );
  }
}

/** Whether one module path is named by a target list (exact or dotted suffix) or regex. */
export function matchesTarget(
  key: string,
  targets: TargetModules,
  field = 'target_modules',
): boolean {
  if (targets === null) return false;
  if (typeof targets === 'string') return fullMatchRegex(targets, field).test(key);
  return targets.some((t) => key === t || key.endsWith(`.${t}`));
}

export interface TargetSelection {
  target_modules: TargetModules;
  exclude_modules?: TargetModules;
  layers_to_transform?: number | readonly number[] | null;
  layers_pattern?: string | readonly string[] | null;
}

/** PEFT's check_target_module_exists over one module path. */
export function isTargeted(key: string, sel: TargetSelection): boolean {
  if (sel.exclude_modules && matchesTarget(key, sel.exclude_modules, 'exclude_modules')) {
    return false;
  }
  if (!matchesTarget(key, sel.target_modules)) return false;
  const layers = sel.layers_to_transform;
  if (layers === null || layers === undefined || typeof sel.target_modules === 'string') {
    return true;
  }
  const wanted = typeof layers === 'number' ? [layers] : layers;
  const lp = sel.layers_pattern;
  // Without a pattern any `name.<index>.` segment counts (the last one, as Python's greedy .*).
  const patterns =
    lp === null || lp === undefined || lp.length === 0
      ? ['[^.]*']
      : typeof lp === 'string'
        ? [escapeRegex(lp)]
        : lp.map(escapeRegex);
  for (const p of patterns) {
    const m = new RegExp(`^.*\\.${p}\\.(\\d+)\\.`).exec(key);
    if (m) return wanted.includes(Number(m[1]));
  }
  return false;
}

/** PEFT's get_pattern_key for rank_pattern / alpha_pattern: the first key matching the path. */
export function patternValue(
  pattern: Readonly<Record<string, number>>,
  key: string,
): number | undefined {
  for (const [p, v] of Object.entries(pattern)) {
    let re: RegExp;
    try {
      re = new RegExp(`^(.*\\.)?(?:${p})$`);
    } catch (err) {
      throw new ConfigError(`PEFT config: invalid pattern '${p}'`, { cause: err });
    }
    if (re.test(key)) return v;
  }
  return undefined;
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
