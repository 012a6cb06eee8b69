import { ConfigError } from '../../core/errors.js';
import type { AlgorithmRegistration } from './types.js';

const algorithms = new Map<string, AlgorithmRegistration>();

export function registerAlgorithm(registration: AlgorithmRegistration): void {
  const { name } = registration;
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
    throw new ConfigError(
      `registerAlgorithm: name '${name}' must be lowercase letters, digits, '-' or '_'`,
    );
  }
  if (algorithms.has(name))
    throw new ConfigError(`registerAlgorithm: '${name}' is already registered`);
  algorithms.set(name, registration);
}

export function getAlgorithm(name: string): AlgorithmRegistration {
  const algo = algorithms.get(name);
  if (!algo) {
    throw new ConfigError(
      `unknown algorithm '${name}'; registered: ${[...algorithms.keys()].sort().join(', ') || '(none)'}`,
    );
  }
  return algo;
}

export function registeredAlgorithms(): string[] {
  return [...algorithms.keys()].sort();
}
