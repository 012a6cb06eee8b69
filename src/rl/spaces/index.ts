export { Space, shapeSize, type SpaceJSON, type SpaceValue, type JSONNumber } from './space.js';
export { Box } from './box.js';
export { Discrete, type DiscreteMask } from './discrete.js';
export { MultiDiscrete, type MultiDiscreteMask } from './multi-discrete.js';
export { MultiBinary, type MultiBinaryMask } from './multi-binary.js';
export { Dict, type DictSpaces, type DictValue } from './dict.js';
export { Tuple, type TupleSpaces, type TupleValue } from './tuple.js';
export { flatdim, flatten, flattenInto, unflatten, flattenSpace, spaceFromJSON } from './utils.js';
