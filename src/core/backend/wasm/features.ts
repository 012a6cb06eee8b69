import { setFlagsFromString } from 'node:v8';
import { wasmApi } from './wasm-api.js';

/**
 * The smallest module that uses relaxed SIMD: one function (v128, v128, v128) -> v128 whose body
 * is f32x4.relaxed_madd (opcode 0xfd 0x105) of its three parameters.
 */
// prettier-ignore
const RELAXED_MADD_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 x3) -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, // code: one body of 11 bytes, no locals
  0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // local.get 0..2; relaxed_madd; end
]);

/** V8's switch for relaxed SIMD before it shipped enabled (Node 20: V8 11.3). */
const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

let relaxed: boolean | undefined;

/**
 * Whether this process can compile relaxed-SIMD wasm (the kernels' fused multiply-add build).
 * Newer V8s validate it out of the box. Node 20's V8 has it behind a flag that is off by default;
 * the flag is read when a module is validated, so turning it on here, before the kernels are
 * compiled, works for this thread and the worker threads alike (V8 flags are per process), and
 * neither the CLI, vitest nor library users need to pass it. Turning it on enables one more wasm
 * instruction set for every module in the process and changes nothing else. If the module still
 * does not validate (an engine without the flag), the baseline SIMD kernels are used.
 * The answer is computed once per process.
 */
export function relaxedSimdAvailable(): boolean {
  relaxed ??= detectRelaxedSimd(wasmApi.validate, setFlagsFromString);
  return relaxed;
}

/** relaxedSimdAvailable's test, with the engine's validate and set-flag calls passed in. */
export function detectRelaxedSimd(
  validate: (bytes: Uint8Array) => boolean,
  setFlag: (flag: string) => void,
): boolean {
  if (validate(RELAXED_MADD_MODULE)) return true;
  setFlag(RELAXED_SIMD_FLAG);
  return validate(RELAXED_MADD_MODULE);
}
