/**
 * The part of the WebAssembly JS API this backend uses. The project's lib settings (ES2022 +
 * @types/node 20) do not declare the WebAssembly global, and a global declaration here would
 * clash with one from a later @types/node, so it is typed locally.
 */
export interface WasmMemory {
  /** Shared memories keep old buffers valid on growth; growing an unshared one detaches them. */
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  grow(deltaPages: number): number;
}

/** A compiled module (opaque; structured-cloneable to worker threads). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  validate(bytes: Uint8Array): boolean;
  instantiate(module: WasmModule, imports: object): Promise<{ exports: unknown }>;
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
