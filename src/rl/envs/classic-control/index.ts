import { register } from '../../registry.js';
import { AcrobotEnv, AcrobotOptionsSchema } from './acrobot.js';
import { CartPoleEnv, CartPoleOptionsSchema } from './cartpole.js';
import { MountainCarEnv, MountainCarOptionsSchema } from './mountain-car.js';

export { AcrobotEnv, AcrobotOptionsSchema, type AcrobotOptions } from './acrobot.js';
export { CartPoleEnv, CartPoleOptionsSchema, type CartPoleOptions } from './cartpole.js';
export {
  MountainCarEnv,
  MountainCarOptionsSchema,
  type MountainCarOptions,
} from './mountain-car.js';

register({
  id: 'CartPole-v1',
  entryPoint: (o) => new CartPoleEnv(o),
  maxEpisodeSteps: 500,
  rewardThreshold: 475.0,
  optionsSchema: CartPoleOptionsSchema,
  description: "Gymnasium's CartPole-v1; physical constants are options",
});

register({
  id: 'Acrobot-v1',
  entryPoint: (o) => new AcrobotEnv(o),
  maxEpisodeSteps: 500,
  rewardThreshold: -100.0,
  optionsSchema: AcrobotOptionsSchema,
  description: "Gymnasium's Acrobot-v1 (book dynamics, RK4, dt 0.2)",
});

register({
  id: 'MountainCar-v0',
  entryPoint: (o) => new MountainCarEnv(o),
  maxEpisodeSteps: 200,
  rewardThreshold: -110.0,
  optionsSchema: MountainCarOptionsSchema,
  description: "Gymnasium's MountainCar-v0",
});
