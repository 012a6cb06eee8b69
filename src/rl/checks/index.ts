export { checkEnv, type CheckEnvOptions } from './check-env.js';
export { parallelApiTest, type ParallelApiTestOptions } from './parallel-api-test.js';
export { aecApiTest, type AecApiTestOptions } from './aec-api-test.js';
export { seedTest, type SeedTestOptions } from './seed-test.js';
export { bombard, type BombardOptions, type BombardReport } from './bombard.js';
export { misuseTest } from './misuse-test.js';
export { sameValue, sampleAction } from './util.js';
export { kindOf, type AnyKindEnv } from './kinds.js';
