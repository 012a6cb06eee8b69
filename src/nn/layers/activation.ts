import {
  gelu,
  leakyRelu,
  relu,
  sigmoid,
  silu,
  softmax,
  tanh,
  ValueError,
  type Tensor,
} from '../../core/index.js';
import { Module } from '../module.js';

/** Activations as modules, for Sequential and MLP (torch.nn.ReLU, ...). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** x * sigmoid(x), a.k.a. Swish (Llama's MLP). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** Exact (erf) GELU, or the tanh approximation GPT-2 uses ('gelu_new'). */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }

  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export type ActivationName =
  'relu' | 'tanh' | 'sigmoid' | 'silu' | 'gelu' | 'gelu_tanh' | 'identity';

/** An activation module by name (configs refer to activations by these names). */
export function activation(name: ActivationName): Module & { forward(x: Tensor): Tensor } {
  switch (name) {
    case 'relu':
      return new ReLU();
    case 'tanh':
      return new Tanh();
    case 'sigmoid':
      return new Sigmoid();
    case 'silu':
      return new SiLU();
    case 'gelu':
      return new GELU();
    case 'gelu_tanh':
      return new GELU('tanh');
    case 'identity':
      return new Identity();
    default:
      throw new ValueError(
        `activation: unknown name '${name as string}'; choose relu, tanh, sigmoid, silu, gelu, gelu_tanh or identity`,
      );
  }
}
