/**
 * Method-style access to the ops (x.matmul(w).add(b)), installed on Tensor's prototype here so
 * tensor.ts stays free of op imports. Importing the package root installs them.
 */
import { backward, installGradHelpers } from './autograd.js';
import { cast, onesLike } from './creation.js';
import type { DType } from './dtype.js';
import * as ops from './ops/index.js';
import type { Axis, ReduceOptions } from './ops/reduce.js';
import type { MatmulOptions } from './ops/matmul.js';
import type { TensorLike } from './ops/binary.js';
import { Tensor } from './tensor.js';

installGradHelpers({ add: (a, b) => ops.raw.add(a, b), onesLike });

declare module './tensor.js' {
  interface Tensor {
    add(other: TensorLike): Tensor;
    sub(other: TensorLike): Tensor;
    mul(other: TensorLike): Tensor;
    div(other: TensorLike): Tensor;
    pow(exponent: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    gelu(approximate?: 'none' | 'tanh'): Tensor;
    silu(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    clamp(min?: number, max?: number): Tensor;
    sum(axis?: Axis, options?: ReduceOptions): Tensor;
    mean(axis?: Axis, options?: ReduceOptions): Tensor;
    max(axis?: number, options?: ReduceOptions): Tensor;
    min(axis?: number, options?: ReduceOptions): Tensor;
    argmax(axis?: number, options?: ReduceOptions): Tensor;
    matmul(other: Tensor, options?: MatmulOptions): Tensor;
    reshape(shape: readonly number[]): Tensor;
    flatten(start?: number, end?: number): Tensor;
    squeeze(axis?: number): Tensor;
    unsqueeze(axis: number): Tensor;
    transpose(dim0?: number, dim1?: number): Tensor;
    permute(dims: readonly number[]): Tensor;
    slice(axis: number, start: number, end?: number): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    to(dtype: DType): Tensor;
    /** Accumulate gradients of this tensor into the leaves (torch's backward). */
    backward(gradient?: Tensor): void;
  }
}

const proto = Tensor.prototype;
proto.add = function (o) {
  return ops.add(this, o);
};
proto.sub = function (o) {
  return ops.sub(this, o);
};
proto.mul = function (o) {
  return ops.mul(this, o);
};
proto.div = function (o) {
  return ops.div(this, o);
};
proto.pow = function (e) {
  return typeof e === 'number' ? ops.powScalar(this, e) : ops.pow(this, e);
};
proto.neg = function () {
  return ops.neg(this);
};
proto.exp = function () {
  return ops.exp(this);
};
proto.log = function () {
  return ops.log(this);
};
proto.tanh = function () {
  return ops.tanh(this);
};
proto.sigmoid = function () {
  return ops.sigmoid(this);
};
proto.relu = function () {
  return ops.relu(this);
};
proto.gelu = function (a) {
  return ops.gelu(this, a);
};
proto.silu = function () {
  return ops.silu(this);
};
proto.sqrt = function () {
  return ops.sqrt(this);
};
proto.abs = function () {
  return ops.abs(this);
};
proto.clamp = function (lo, hi) {
  return ops.clamp(this, lo, hi);
};
proto.sum = function (axis, o) {
  return ops.sum(this, axis, o);
};
proto.mean = function (axis, o) {
  return ops.mean(this, axis, o);
};
proto.max = function (axis, o) {
  return ops.max(this, axis, o);
};
proto.min = function (axis, o) {
  return ops.min(this, axis, o);
};
proto.argmax = function (axis, o) {
  return ops.argmax(this, axis, o);
};
proto.matmul = function (other, o) {
  return ops.matmul(this, other, o);
};
proto.reshape = function (shape) {
  return ops.reshape(this, shape);
};
proto.flatten = function (s, e) {
  return ops.flatten(this, s, e);
};
proto.squeeze = function (axis) {
  return ops.squeeze(this, axis);
};
proto.unsqueeze = function (axis) {
  return ops.unsqueeze(this, axis);
};
proto.transpose = function (a, b) {
  return ops.transpose(this, a, b);
};
proto.permute = function (dims) {
  return ops.permute(this, dims);
};
proto.slice = function (axis, s, e) {
  return ops.slice(this, axis, s, e);
};
proto.softmax = function (axis) {
  return ops.softmax(this, axis);
};
proto.logSoftmax = function (axis) {
  return ops.logSoftmax(this, axis);
};
proto.to = function (dtype) {
  return cast(this, dtype);
};
proto.backward = function (gradient) {
  backward(this, gradient);
};
