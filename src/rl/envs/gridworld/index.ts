import { parallelToAec } from '../../conversions.js';
import { register } from '../../registry.js';
import { GridWorldEnv, GridWorldOptionsSchema } from './gridworld.js';
import { MultiGridWorldEnv, MultiGridWorldOptionsSchema } from './multi-gridworld.js';

export { GridWorldEnv, GridWorldOptionsSchema, type GridWorldOptions } from './gridworld.js';
export {
  MultiGridWorldEnv,
  MultiGridWorldOptionsSchema,
  type MultiGridWorldOptions,
} from './multi-gridworld.js';
export { PRESET_MAPS, PRESET_NAMES, type PresetMap } from './grid.js';

register({
  id: 'GridWorld-v0',
  entryPoint: (o) => new GridWorldEnv(o),
  maxEpisodeSteps: 200,
  optionsSchema: GridWorldOptionsSchema,
  description: 'ASCII-map gridworld with walls, goals and pits; optional egocentric view',
});

register({
  id: 'MultiGridWorld-v0',
  kind: 'parallel',
  entryPoint: (o) => new MultiGridWorldEnv(o),
  optionsSchema: MultiGridWorldOptionsSchema,
  description: 'Parallel multi-agent gridworld (PettingZoo ParallelEnv)',
});

register({
  id: 'MultiGridWorldAEC-v0',
  kind: 'aec',
  entryPoint: (o) => parallelToAec(new MultiGridWorldEnv(o)),
  optionsSchema: MultiGridWorldOptionsSchema,
  description: 'MultiGridWorld-v0 through parallelToAec (PettingZoo AECEnv)',
});
