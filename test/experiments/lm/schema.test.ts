/** The LM experiment config: defaults filled in, every problem reported with its path. */
import { describe, expect, it } from 'vitest';
import { ExperimentConfigError, parseExperimentYaml } from '../../../src/experiments/index.js';
import { validateLmExperiment } from '../../../src/experiments/lm/index.js';
import { tinyConfig } from './helpers.js';

const METHODS = `  - { name: scratch, kind: scratch }
  - { name: lora, kind: peft, peft: { peft_type: LORA, r: 4 } }`;

function validate(text: string): ReturnType<typeof validateLmExperiment> {
  return validateLmExperiment(parseExperimentYaml(text, 'x.yaml'), {
    file: 'x.yaml',
    baseDir: '/d',
  });
}

function problems(text: string): string[] {
  try {
    validate(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ExperimentConfigError);
    return (err as ExperimentConfigError).message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  }
  throw new Error('expected the config to be refused');
}

describe('LM experiment config', () => {
  it('fills defaults, expands seeds and resolves the data file against the config folder', () => {
    const exp = validate(tinyConfig('causal-lm', METHODS));
    expect(exp.seeds).toEqual([0, 1]);
    expect(exp.data.file).toBe('/d/tiny.jsonl');
    expect(exp.data.cacheDir).toBe('runs/cache');
    expect(exp.model.family).toBe('gpt2');
    expect(exp.ciLevel).toBe(0.95);
    expect(exp.target.lr).toBe(1e-3);
    // Validating the result again changes nothing.
    expect(validateLmExperiment(JSON.parse(JSON.stringify(exp)), { baseDir: '/d' })).toEqual(exp);
  });

  it('refuses unknown keys at any depth, with their paths', () => {
    const text = tinyConfig(
      'causal-lm',
      `${METHODS}\n  - { name: x, kind: full, speed: 2 }`,
      'extra: 1',
    );
    const p = problems(text.replace('heads: 2', 'heads: 2, width: 3'));
    expect(p).toContain('extra: unknown key');
    expect(p).toContain('model.width: unknown key');
    expect(p.some((l) => l.startsWith('methods[2].speed: unknown key'))).toBe(true);
  });

  it('checks PEFT blocks against the method schema', () => {
    const p = problems(
      tinyConfig(
        'causal-lm',
        `  - { name: l, kind: peft, peft: { peft_type: LORA, r: -1, rank: 4 } }`,
      ),
    );
    expect(p.some((l) => l.startsWith('methods[0].peft.r:'))).toBe(true);
    expect(p).toContain('methods[0].peft.rank: unknown key');
    const q = problems(
      tinyConfig('causal-lm', `  - { name: l, kind: peft, peft: { peft_type: NOPE } }`),
    );
    expect(q[0]).toMatch(/^methods\[0\]\.peft\.peft_type: unknown peft_type "NOPE"/);
  });

  it('refuses inconsistent settings', () => {
    const p = problems(
      tinyConfig(
        'causal-lm',
        `  - { name: a, kind: head }\n  - { name: a, kind: full, sizes: [7] }`,
      ).replace('heads: 2', 'heads: 3'),
    );
    expect(p).toContain(
      "methods[0].kind: 'head' trains a new classification head: it needs target.task 'classification'",
    );
    expect(p).toContain('methods[1].name: duplicate method name "a" (also methods[0])');
    expect(p).toContain('methods[1].sizes: 7 is not one of target.trainSizes (20, 40)');
    expect(p).toContain('model.heads: dModel 16 is not divisible by heads 3');
    expect(problems(tinyConfig('causal-lm', METHODS).replace(', file: tiny.jsonl', ''))).toEqual([
      "data.file: missing (corpus 'jsonl' reads a file)",
    ]);
    expect(
      problems(tinyConfig('causal-lm', METHODS).replace('kind: scratch', 'kind: magic'))[0],
    ).toMatch(/^methods\[0\]/);
  });

  it('refuses prototype-polluting keys', () => {
    const p = problems(
      tinyConfig('causal-lm', METHODS).replace('model: {', 'model: { __proto__: 1,'),
    );
    expect(p).toEqual(["model.__proto__: key '__proto__' is not allowed"]);
    expect(({} as Record<string, unknown>).dModel).toBeUndefined();
  });
});
