import { describe, expect, it } from 'vitest';
import { Generator, type GradNode, type Tensor } from '../../src/core/index.js';
import { getPeftModel } from '../../src/peft/index.js';
import { FAMILIES } from './helpers.js';

/**
 * Wraps the backward of every node on the path to root so that it records each gradient a node
 * computes for an input that does not require one (work nobody reads). Returns the list, filled
 * in by root.backward().
 */
function watchWastedGradients(root: Tensor): string[] {
  const wasted: string[] = [];
  const seen = new Set<GradNode>();
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!.gradFn;
    if (!node || seen.has(node)) continue;
    seen.add(node);
    const inner = node.backward.bind(node);
    (node as { backward: GradNode['backward'] }).backward = (g) => {
      const grads = inner(g);
      grads.forEach((d, j) => {
        if (d && !node.inputs[j].requiresGrad) {
          wasted.push(`${node.op} input ${j} [${node.inputs[j].shape.join(', ')}]`);
        }
      });
      return grads;
    };
    stack.push(...node.inputs);
  }
  return wasted;
}

describe('a LoRA step on a frozen base', () => {
  for (const family of FAMILIES) {
    it(`${family.name}: no op computes a gradient for a frozen weight or a constant input`, async () => {
      const peft = getPeftModel(
        await family.load(),
        { peft_type: 'LORA', r: 4, lora_dropout: 0.1 },
        { rng: new Generator(1), onWarning: () => undefined },
      );
      peft.train();
      const { loss } = peft.forward(family.inputs());
      const wasted = watchWastedGradients(loss!);
      loss!.backward();
      expect(wasted).toEqual([]);
      const withGrad = peft
        .namedParameters()
        .filter(([, p]) => p.grad !== null)
        .map(([n]) => n);
      expect(withGrad.length).toBeGreaterThan(0);
      for (const n of withGrad) expect(n).toMatch(/lora_[AB]/);
    });
  }
});
