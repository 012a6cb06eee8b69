import { describe, expect, it } from 'vitest';
import {
  Dropout,
  Embedding,
  Generator,
  LayerNorm,
  Linear,
  LoadStateDictError,
  Module,
  ModuleDict,
  ModuleList,
  Parameter,
  ParameterList,
  ReLU,
  Sequential,
  StateDictError,
  Tensor,
  ValueError,
  mseLoss,
  randn,
  tensor,
  zeros,
} from '../../src/index.js';

/** A GPT-2-shaped toy: names must come out as transformer.h.0.attn.c_attn.weight. */
class Attn extends Module {
  c_attn: Linear;
  c_proj: Linear;
  constructor(rng: Generator) {
    super();
    this.c_attn = new Linear(4, 12, { rng });
    this.c_proj = new Linear(4, 4, { rng });
  }
}

class Block extends Module {
  ln_1: LayerNorm;
  attn: Attn;
  constructor(rng: Generator) {
    super();
    this.ln_1 = new LayerNorm(4);
    this.attn = new Attn(rng);
    this.registerBuffer('mask', zeros([2, 2]));
    this.registerBuffer('cache', zeros([3]), false);
  }
}

class Transformer extends Module {
  wte: Embedding;
  h: ModuleList<Block>;
  constructor(rng: Generator) {
    super();
    this.wte = new Embedding(10, 4, { rng });
    this.h = new ModuleList([new Block(rng), new Block(rng)]);
  }
}

class Model extends Module {
  transformer: Transformer;
  lm_head: Linear;
  constructor(rng: Generator) {
    super();
    this.transformer = new Transformer(rng);
    this.lm_head = new Linear(4, 10, { rng, bias: false });
  }
}

const blockNames = (i: number): string[] => [
  `transformer.h.${i}.ln_1.weight`,
  `transformer.h.${i}.ln_1.bias`,
  `transformer.h.${i}.attn.c_attn.weight`,
  `transformer.h.${i}.attn.c_attn.bias`,
  `transformer.h.${i}.attn.c_proj.weight`,
  `transformer.h.${i}.attn.c_proj.bias`,
];

describe('Module registration and naming', () => {
  it('names parameters with dotted paths in registration order, as torch', () => {
    const m = new Model(new Generator(0));
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      'transformer.wte.weight',
      ...blockNames(0),
      ...blockNames(1),
      'lm_head.weight',
    ]);
    expect(m.parameters().every((p) => p instanceof Parameter && p.requiresGrad)).toBe(true);
    expect(m.namedModules().map(([n]) => n)).toEqual([
      '',
      'transformer',
      'transformer.wte',
      'transformer.h',
      'transformer.h.0',
      'transformer.h.0.ln_1',
      'transformer.h.0.attn',
      'transformer.h.0.attn.c_attn',
      'transformer.h.0.attn.c_proj',
      'transformer.h.1',
      'transformer.h.1.ln_1',
      'transformer.h.1.attn',
      'transformer.h.1.attn.c_attn',
      'transformer.h.1.attn.c_proj',
      'lm_head',
    ]);
    expect(m.children()).toEqual([m.transformer, m.lm_head]);
    expect(m.namedBuffers().map(([n]) => n)).toEqual([
      'transformer.h.0.mask',
      'transformer.h.0.cache',
      'transformer.h.1.mask',
      'transformer.h.1.cache',
    ]);
  });

  it('puts own parameters and persistent buffers before children in the state dict', () => {
    const m = new Model(new Generator(0));
    const keys = [...m.stateDict().keys()];
    expect(keys).toEqual([
      'transformer.wte.weight',
      // Block has no own parameters: its buffer comes before its children's parameters
      'transformer.h.0.mask',
      ...blockNames(0),
      'transformer.h.1.mask',
      ...blockNames(1),
      'lm_head.weight',
    ]);
    expect(keys).not.toContain('transformer.h.0.cache');
  });

  it('lists a tied weight once in parameters but under both names in the state dict', () => {
    const m = new Model(new Generator(0));
    m.lm_head.weight = m.transformer.wte.weight;
    expect(m.parameters().filter((p) => p === m.transformer.wte.weight)).toHaveLength(1);
    expect(m.namedParameters().map(([n]) => n)).not.toContain('lm_head.weight');
    expect(m.stateDict().has('lm_head.weight')).toBe(true);
    m.to('float64');
    expect(m.lm_head.weight).toBe(m.transformer.wte.weight);
    expect(m.lm_head.weight.dtype).toBe('float64');
  });

  it('sees a submodule replaced by assignment or setSubmodule (PEFT injection)', () => {
    const m = new Model(new Generator(0));
    const rng = new Generator(1);
    m.setSubmodule('transformer.h.1.attn.c_proj', new Linear(4, 4, { rng, bias: false }));
    expect(m.getSubmodule('transformer.h.1.attn.c_proj')).toBeInstanceOf(Linear);
    expect(m.namedParameters().map(([n]) => n)).not.toContain('transformer.h.1.attn.c_proj.bias');
    m.transformer.h.get(0).attn = new Attn(rng);
    expect(m.getSubmodule('transformer.h.0.attn')).toBe(m.transformer.h.get(0).attn);
    expect(() => m.getSubmodule('transformer.h.7')).toThrow(ValueError);
    expect(() => m.setSubmodule('transformer.nothing', new ReLU())).toThrow(ValueError);
  });

  it('supports explicit registration and rejects bad names', () => {
    const m = new Module();
    const w = m.registerParameter('w', zeros([2]));
    expect(w).toBeInstanceOf(Parameter);
    m.registerModule('sub', new Linear(2, 2, { skipInit: true }));
    expect(m.namedParameters().map(([n]) => n)).toEqual(['w', 'sub.weight', 'sub.bias']);
    expect(() => m.registerParameter('a.b', zeros([1]))).toThrow(ValueError);
    expect(() => m.registerBuffer('train', zeros([1]))).toThrow(ValueError);
  });

  it('refuses unregistered trainable tensors and arrays of modules', () => {
    class Bad extends Module {
      w = randn([2], new Generator(0), { requiresGrad: true });
    }
    expect(() => new Bad().parameters()).toThrow(/not a Parameter/);
    class BadList extends Module {
      layers = [new ReLU()];
    }
    expect(() => new BadList().stateDict()).toThrow(/ModuleList/);
  });

  it('ModuleDict keeps insertion order; ParameterList names by index', () => {
    const d = new ModuleDict<Linear>([
      ['q', new Linear(2, 2, { skipInit: true })],
      ['0', new Linear(2, 2, { skipInit: true, bias: false })],
    ]);
    expect(d.namedParameters().map(([n]) => n)).toEqual(['q.weight', 'q.bias', '0.weight']);
    const pl = new ParameterList([zeros([1]), zeros([2])]);
    expect(pl.namedParameters().map(([n]) => n)).toEqual(['0', '1']);
    expect(pl.get(-1).shape).toEqual([2]);
  });

  it('counts parameters, trainable or all', () => {
    const m = new Sequential(
      new Linear(3, 4, { skipInit: true }),
      new ReLU(),
      new Linear(4, 2, { skipInit: true }),
    );
    expect(m.numParameters()).toBe(3 * 4 + 4 + 4 * 2 + 2);
    m.get(0).freeze();
    expect(m.numParameters({ trainableOnly: true })).toBe(4 * 2 + 2);
  });

  it('apply visits children before their parent', () => {
    const m = new Sequential(new Linear(1, 1, { skipInit: true }), new ReLU());
    const seen: string[] = [];
    m.apply((x) => seen.push(x.constructor.name));
    expect(seen).toEqual(['Linear', 'ReLU', 'Sequential']);
  });

  it('prints a tree', () => {
    const m = new Sequential(new Linear(2, 3, { skipInit: true }), new ReLU());
    expect(m.toString()).toBe(
      'Sequential(\n  (0): Linear(inFeatures=2, outFeatures=3, bias=true)\n  (1): ReLU()\n)',
    );
  });
});

describe('train / eval', () => {
  it('propagates the flag to every submodule', () => {
    const m = new Model(new Generator(0));
    m.eval();
    expect(m.modules().every((x) => !x.training)).toBe(true);
    m.train();
    expect(m.modules().every((x) => x.training)).toBe(true);
  });

  it('Dropout is the identity in eval mode and drops while training', () => {
    const rng = new Generator(3);
    const net = new Sequential(new Dropout(0.5, rng));
    const x = randn([200], new Generator(4));
    const y = net.forward(x);
    expect([...y.data].some((v) => v === 0)).toBe(true);
    net.eval();
    expect(net.forward(x)).toBe(x);
  });
});

describe('freezing', () => {
  it('frozen parameters get no gradient; the rest do', () => {
    const rng = new Generator(0);
    const net = new Sequential(new Linear(3, 4, { rng }), new ReLU(), new Linear(4, 1, { rng }));
    net.get(0).freeze();
    const x = randn([5, 3], rng);
    mseLoss(net.forward(x), zeros([5, 1])).backward();
    const first = net.get(0) as Linear;
    const last = net.get(2) as Linear;
    expect(first.weight.grad).toBeNull();
    expect(first.bias!.grad).toBeNull();
    expect(last.weight.grad).not.toBeNull();
    net.zeroGrad();
    expect(last.weight.grad).toBeNull();
    net.unfreeze();
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
  });
});

describe('stateDict / loadStateDict', () => {
  it('round-trips into a fresh model of the same shape', () => {
    const a = new Model(new Generator(0));
    const b = new Model(new Generator(1));
    const sd = a.stateDict();
    const res = b.loadStateDict(sd);
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [k, t] of b.stateDict()) expect([...t.data]).toEqual([...sd.get(k)!.data]);
    // loaded into the existing tensors, not replacing them
    expect(b.parameters().every((p) => p instanceof Parameter)).toBe(true);
  });

  it('returns a snapshot by default and live views with share', () => {
    const m = new Linear(2, 2, { rng: new Generator(0) });
    const snap = m.stateDict();
    const live = m.stateDict({ share: true });
    m.weight.data[0] = 42;
    expect(snap.get('weight')!.data[0]).not.toBe(42);
    expect(live.get('weight')!.data[0]).toBe(42);
  });

  it('accepts a plain object and converts float64 to float32', () => {
    const m = new Linear(2, 1, { skipInit: true });
    m.loadStateDict({
      weight: tensor([[1, 2]], undefined, { dtype: 'float64' }),
      bias: tensor([3]),
    });
    expect([...m.weight.data, ...m.bias!.data]).toEqual([1, 2, 3]);
    expect(m.weight.dtype).toBe('float32');
  });

  it('strict: one error listing every missing, unexpected and mismatched key; nothing copied', () => {
    const m = new Model(new Generator(0));
    const before = m.stateDict();
    const sd = m.stateDict();
    sd.delete('lm_head.weight');
    sd.delete('transformer.h.1.ln_1.bias');
    sd.set('transformer.h.0.attn.c_attn.weight', zeros([4, 12]));
    sd.set('transformer.h.0.attn.c_proj.bias', zeros([5]));
    sd.set('transformer.h.9.mlp.weight', zeros([1]));
    sd.set('extra', zeros([1]));
    sd.set('transformer.wte.weight', new Tensor(new Float32Array(40).fill(7), [10, 4]));
    let err: unknown;
    try {
      m.loadStateDict(sd);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    expect(err).toBeInstanceOf(LoadStateDictError);
    const msg = (err as Error).message;
    for (const s of [
      'missing keys (2): "transformer.h.1.ln_1.bias", "lm_head.weight"',
      'unexpected keys (2): "transformer.h.9.mlp.weight", "extra"',
      'transformer.h.0.attn.c_attn.weight: expected [12,4] got [4,12]',
      'transformer.h.0.attn.c_proj.bias: expected [4] got [5]',
    ]) {
      expect(msg).toContain(s);
    }
    const e = err as LoadStateDictError;
    expect(e.missingKeys).toEqual(['transformer.h.1.ln_1.bias', 'lm_head.weight']);
    expect(e.mismatches).toHaveLength(2);
    // the valid wte.weight entry was not copied either
    expect([...m.transformer.wte.weight.data]).toEqual([
      ...before.get('transformer.wte.weight')!.data,
    ]);
  });

  it('non-strict: returns missing and unexpected keys, copies the rest', () => {
    const m = new Linear(2, 2, { skipInit: true });
    const res = m.loadStateDict(
      {
        weight: tensor([
          [1, 2],
          [3, 4],
        ]),
        other: zeros([1]),
      },
      { strict: false },
    );
    expect(res).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['other'] });
    expect([...m.weight.data]).toEqual([1, 2, 3, 4]);
  });

  it('non-strict still refuses shape mismatches', () => {
    const m = new Linear(2, 2, { skipInit: true });
    expect(() => m.loadStateDict({ weight: zeros([2, 3]) }, { strict: false })).toThrow(
      /weight: expected \[2,2\] got \[2,3\]/,
    );
  });
});

describe('to(dtype)', () => {
  it('converts parameters and float buffers, keeping requiresGrad', () => {
    const b = new Block(new Generator(0));
    b.attn.c_proj.freeze();
    b.to('float64');
    expect(b.parameters().every((p) => p.dtype === 'float64' && p instanceof Parameter)).toBe(true);
    expect(b.buffers().every((t) => t.dtype === 'float64')).toBe(true);
    expect(b.attn.c_proj.weight.requiresGrad).toBe(false);
    expect(b.attn.c_attn.weight.requiresGrad).toBe(true);
    expect(b.namedBuffers().map(([n]) => n)).toEqual(['mask', 'cache']);
  });
});
