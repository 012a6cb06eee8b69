import * as fsp from 'node:fs/promises';
import {
  CheckpointError,
  DTYPE_SIZES,
  type SafeTensorEntry,
  type SafetensorsDType,
} from '../../core/index.js';
import { Fail, fail, text, zipEntries } from './zip.js';

/**
 * Plain-tensor files written by torch.save (AdapterHub's default `pytorch_adapter.bin`, PEFT's
 * older `adapter_model.bin`): an uncompressed zip holding `<archive>/data.pkl`, a pickle of a
 * dict of tensors, and each tensor storage's bytes in `<archive>/data/<key>`. The pickle is never
 * executed: a small interpreter knows the opcodes torch.save writes and builds only dicts,
 * tuples, lists, strings, numbers and tensors; any other class or function is a CheckpointError
 * naming it. Tensors come back as safetensors entries, so the same decoders read them.
 */

const STORAGES: Record<string, SafetensorsDType> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};
const CALLABLE = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
]);

class Tuple {
  constructor(readonly items: Value[]) {}
}
class Dict {
  readonly map = new Map<string | number, Value>();
}
class Global {
  constructor(readonly path: string) {}
}
class Storage {
  constructor(
    readonly dtype: SafetensorsDType,
    readonly bytes: Uint8Array,
  ) {}
}
class TensorValue {
  constructor(readonly entry: Omit<SafeTensorEntry, 'name'>) {}
}
type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Value[]
  | Tuple
  | Dict
  | Global
  | Storage
  | TensorValue;

const isInt = (v: Value): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const ints = (v: Value, what: string): number[] => {
  if (!(v instanceof Tuple) || !v.items.every((x) => isInt(x) && x >= 0)) {
    fail(`${what} must be a tuple of non-negative integers`);
  }
  return (v as Tuple).items as number[];
};

/** torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...) for contiguous tensors. */
function rebuildTensor(args: Value[]): TensorValue {
  const [storage, offset, sizeV, strideV] = args;
  if (!(storage instanceof Storage)) return fail('_rebuild_tensor_v2: no storage');
  if (!isInt(offset) || offset < 0) return fail('_rebuild_tensor_v2: bad storage offset');
  const shape = ints(sizeV, 'tensor size');
  const stride = ints(strideV, 'tensor stride');
  if (stride.length !== shape.length) fail('tensor stride and size differ in length');
  let numel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== numel) fail('non-contiguous tensors are not read');
    numel *= shape[d];
    if (!Number.isSafeInteger(numel)) fail('tensor size overflows');
  }
  const size = DTYPE_SIZES[storage.dtype];
  const [begin, end] = [offset * size, (offset + numel) * size];
  if (end > storage.bytes.length)
    fail(`a tensor runs past its storage (${end} > ${storage.bytes.length} bytes)`);
  const data = storage.bytes.slice(begin, end);
  return new TensorValue({ dtype: storage.dtype, shape, dataOffsets: [0, data.length], data });
}

function call(fn: Value, args: Value): Value {
  if (!(fn instanceof Global) || !(args instanceof Tuple)) return fail('REDUCE on a non-callable');
  const a = args.items;
  if (fn.path === 'collections.OrderedDict')
    return a.length === 0 ? new Dict() : fail('OrderedDict with arguments');
  if (fn.path === 'torch._utils._rebuild_tensor_v2') return rebuildTensor(a);
  return a[0] instanceof TensorValue ? a[0] : fail('_rebuild_parameter without a tensor');
}

/** Run the pickle, resolving persistent storage ids against the archive's data entries. */
function unpickle(b: Uint8Array, storage: (pid: Value) => Storage): Value {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const stack: Value[] = [];
  const marks: number[] = [];
  const memo = new Map<number, Value>();
  let p = 0;
  const need = (n: number) => {
    if (p + n > b.length) fail(`truncated pickle at byte ${p}`);
  };
  const u8 = () => (need(1), b[p++]);
  const u16 = () => (need(2), (p += 2), dv.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), dv.getUint32(p - 4, true));
  const bytes = (n: number) => (need(n), (p += n), b.subarray(p - n, p));
  const pop = (): Value =>
    stack.length > (marks.at(-1) ?? 0) ? stack.pop()! : fail('stack underflow');
  const top = (): Value => (stack.length > 0 ? stack[stack.length - 1] : fail('stack underflow'));
  const popMark = (): Value[] => {
    const m = marks.pop();
    if (m === undefined) return fail('no MARK');
    return stack.splice(m);
  };
  const line = () => {
    const end = b.indexOf(0x0a, p);
    if (end < 0) fail('truncated GLOBAL');
    const s = text(b.subarray(p, end));
    p = end + 1;
    return s;
  };
  const global = (module: string, name: string): Global => {
    const path = `${module}.${name}`;
    if (module === 'torch' && STORAGES[name]) return new Global(path);
    if (!CALLABLE.has(path)) fail(`refuses to load '${path}' (only plain tensors are read)`);
    return new Global(path);
  };
  const setItems = (dict: Value, kv: Value[]) => {
    if (!(dict instanceof Dict)) return fail('SETITEM on a non-dict');
    if (kv.length % 2) fail('odd number of dict items');
    for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i];
      if (typeof k !== 'string' && !isInt(k)) fail('a dict key is neither a string nor an integer');
      dict.map.set(k as string | number, kv[i + 1]);
    }
  };
  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('unknown pickle protocol');
        break;
      case 0x95: // FRAME
        bytes(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) fail('malformed pickle end');
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Dict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new Tuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new Tuple(popMark()));
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const items = Array.from({ length: op - 0x84 }, pop).reverse();
        stack.push(new Tuple(items));
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
        stack.push(op === 0x88);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(u32() | 0);
        break;
      case 0x8a: {
        // LONG1
        const n = u8();
        const raw = bytes(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
        if (n > 0 && raw[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(
          v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(v)
            : v,
        );
        break;
      }
      case 0x47: // BINFLOAT
        need(8);
        stack.push(dv.getFloat64(p, false));
        p += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(text(bytes(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(bytes(u8())));
        break;
      case 0x63: // GLOBAL
        stack.push(global(line(), line()));
        break;
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('bad STACK_GLOBAL');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(storage(pop()));
        break;
      case 0x62: {
        // BUILD: only a state dict's `_metadata` on an OrderedDict, which holds no tensors.
        const state = pop();
        if (!(top() instanceof Dict) || !(state instanceof Dict)) fail('BUILD on a non-dict');
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list)) fail('APPEND to a non-list');
        (list as Value[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) fail('APPENDS to a non-list');
        (list as Value[]).push(...items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail(`memo ${i} is not set`);
        stack.push(memo.get(i)!);
        break;
      }
      default:
        fail(`pickle opcode 0x${op.toString(16)} at byte ${p - 1} is not read`);
    }
  }
}

/** Parse a torch.save zip of plain tensors; `where` names the file in errors. */
export function parseTorchBin(b: Uint8Array, where: string): Map<string, SafeTensorEntry> {
  try {
    const entries = zipEntries(b);
    const pkl = [...entries.keys()].filter(
      (n) => n.endsWith('data.pkl') && n.split('/').length === 2,
    );
    if (pkl.length !== 1) fail(`expected one <archive>/data.pkl, found ${pkl.length}`);
    const prefix = pkl[0].slice(0, -'data.pkl'.length);
    const order = entries.get(`${prefix}byteorder`);
    if (order && text(order) !== 'little') fail(`byteorder '${text(order)}' is not read`);
    const storages = new Map<string, Storage>();
    const storage = (pid: Value): Storage => {
      const t = pid instanceof Tuple ? pid.items : [];
      const [tag, type, key, , numel] = t;
      if (
        tag !== 'storage' ||
        !(type instanceof Global) ||
        typeof key !== 'string' ||
        !isInt(numel)
      ) {
        return fail('bad persistent id');
      }
      const dtype = STORAGES[type.path.slice('torch.'.length)];
      if (!dtype) fail(`unknown storage type '${type.path}'`);
      const data = entries.get(`${prefix}data/${key}`);
      if (!data) return fail(`storage '${key}' is missing from the archive`);
      if (data.length < numel * DTYPE_SIZES[dtype])
        fail(`storage '${key}' is shorter than its ${numel} elements`);
      const known = storages.get(key);
      if (known && known.dtype !== dtype) fail(`storage '${key}' is read as two dtypes`);
      const s = known ?? new Storage(dtype, data.subarray(0, numel * DTYPE_SIZES[dtype]));
      storages.set(key, s);
      return s;
    };
    const root = unpickle(entries.get(pkl[0])!, storage);
    if (!(root instanceof Dict)) fail('the pickle is not a dict of tensors');
    const out = new Map<string, SafeTensorEntry>();
    for (const [k, v] of (root as Dict).map) {
      if (typeof k !== 'string' || !(v instanceof TensorValue))
        fail(`'${String(k)}' is not a tensor`);
      out.set(k as string, { name: k as string, ...(v as TensorValue).entry });
    }
    return out;
  } catch (err) {
    if (err instanceof Fail) throw new CheckpointError(`${where}: ${err.message}`);
    throw new CheckpointError(`${where}: unreadable torch file (${String(err)})`, { cause: err });
  }
}

/** Read a torch.save zip of plain tensors from disk. */
export async function loadTorchBin(path: string): Promise<Map<string, SafeTensorEntry>> {
  let b: Uint8Array;
  try {
    b = await fsp.readFile(path);
  } catch (err) {
    throw new CheckpointError(`${path}: cannot read (${String(err)})`, { cause: err });
  }
  return parseTorchBin(b, path);
}
