"""simple_spread_v3 for the speed twin: PettingZoo's MPE restated on PettingZoo's own API classes.

PettingZoo 1.25 moved MPE into the separate `mpe2` package, which the local PyPI mirror does not
have, so `pettingzoo.mpe.simple_spread_v3` cannot be imported. This module restates the three
MPE files that simple_spread uses, written from reading them (pettingzoo/mpe/_mpe_utils/core.py,
_mpe_utils/simple_env.py, simple_spread/simple_spread.py), keeping their shape because the shape
is what costs time: one Python object per entity with its own small numpy arrays, the all-pairs
collision loop over every entity (landmarks included, skipped by their `collide` flag), one
np.concatenate per observation, and the AEC env driven through PettingZoo's real
AssertOutOfBoundsWrapper, OrderEnforcingWrapper and aec_to_parallel_wrapper (which calls
`last()` for every agent, observing it once more per step). Rendering (pygame) is left out; it is
not on the step path without a render_mode.

`check_against_fixture` replays test/fixtures/rl/mpe_spread_golden.json (written by an
independent restatement, scripts/golden/mpe_reference.py) so the twin is known to simulate the
same world as the env it is timed against.
"""
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import AECEnv
from pettingzoo.utils import AgentSelector, wrappers
from pettingzoo.utils.conversions import aec_to_parallel_wrapper


class EntityState:
    def __init__(self):
        self.p_pos = None
        self.p_vel = None
        self.c = None


class Action:
    def __init__(self):
        self.u = None
        self.c = None


class Entity:
    def __init__(self, name, size, movable, collide):
        self.name, self.size, self.movable, self.collide = name, size, movable, collide
        self.mass = 1.0
        self.max_speed = None
        self.accel = None
        self.state = EntityState()


class Agent(Entity):
    def __init__(self, name):
        super().__init__(name, size=0.15, movable=True, collide=True)
        self.silent = True
        self.action = Action()


class World:
    dim_p, dim_c, dt, damping = 2, 2, 0.1, 0.25
    contact_force, contact_margin = 1e2, 1e-3

    def __init__(self, n):
        self.agents = [Agent(f"agent_{i}") for i in range(n)]
        self.landmarks = [Entity(f"landmark {i}", 0.05, False, False) for i in range(n)]

    @property
    def entities(self):
        return self.agents + self.landmarks

    def step(self):
        entities = self.entities
        force = [None] * len(entities)
        for i, agent in enumerate(self.agents):
            force[i] = agent.action.u + 0.0  # MPE adds motor noise here; spread has none
        for a, ea in enumerate(entities):
            for b in range(a + 1, len(entities)):
                eb = entities[b]
                if not (ea.collide and eb.collide):
                    continue
                delta = ea.state.p_pos - eb.state.p_pos
                dist = np.sqrt(np.sum(np.square(delta)))
                k = self.contact_margin
                pen = np.logaddexp(0, -(dist - (ea.size + eb.size)) / k) * k
                f = self.contact_force * delta / dist * pen
                if ea.movable:
                    force[a] = f + (0.0 if force[a] is None else force[a])
                if eb.movable:
                    force[b] = -f + (0.0 if force[b] is None else force[b])
        for i, e in enumerate(entities):
            if not e.movable:
                continue
            e.state.p_vel = e.state.p_vel * (1 - self.damping)
            if force[i] is not None:
                e.state.p_vel += (force[i] / e.mass) * self.dt
            e.state.p_pos += e.state.p_vel * self.dt
        for agent in self.agents:
            agent.state.c = np.zeros(self.dim_c)


def is_collision(a, b):
    dist = np.sqrt(np.sum(np.square(a.state.p_pos - b.state.p_pos)))
    return dist < a.size + b.size


def global_reward(world):
    total = 0.0
    for lm in world.landmarks:
        total -= min(np.sqrt(np.sum(np.square(a.state.p_pos - lm.state.p_pos)))
                     for a in world.agents)
    return total


def local_reward(agent, world):
    return -float(sum(1 for other in world.agents if other is not agent and is_collision(other, agent)))


def observation(agent, world):
    rel_landmarks = [lm.state.p_pos - agent.state.p_pos for lm in world.landmarks]
    others = [o for o in world.agents if o is not agent]
    rel_others = [o.state.p_pos - agent.state.p_pos for o in others]
    comm = [o.state.c for o in others]
    return np.concatenate([agent.state.p_vel, agent.state.p_pos] + rel_landmarks + rel_others + comm)


class SimpleSpreadAEC(AECEnv):
    metadata = {"render_modes": [], "is_parallelizable": True, "name": "simple_spread_v3"}

    def __init__(self, N=3, local_ratio=0.5, max_cycles=25):
        super().__init__()
        self.render_mode = None
        self.world = World(N)
        self.local_ratio = local_ratio
        self.max_cycles = max_cycles
        self.np_random, _ = seeding.np_random(None)
        self._reset_world()
        self.agents = [a.name for a in self.world.agents]
        self.possible_agents = self.agents[:]
        self._index = {name: i for i, name in enumerate(self.agents)}
        self._selector = AgentSelector(self.agents)
        obs_dim = len(observation(self.world.agents[0], self.world))
        self.action_spaces = {a: spaces.Discrete(5) for a in self.agents}
        self.observation_spaces = {
            a: spaces.Box(-np.float32(np.inf), np.float32(np.inf), (obs_dim,), np.float32)
            for a in self.agents
        }
        self.current_actions = [None] * N

    def observation_space(self, agent):
        return self.observation_spaces[agent]

    def action_space(self, agent):
        return self.action_spaces[agent]

    def _reset_world(self):
        for a in self.world.agents:
            a.state.p_pos = self.np_random.uniform(-1, 1, self.world.dim_p)
            a.state.p_vel = np.zeros(self.world.dim_p)
            a.state.c = np.zeros(self.world.dim_c)
        for lm in self.world.landmarks:
            lm.state.p_pos = self.np_random.uniform(-1, 1, self.world.dim_p)
            lm.state.p_vel = np.zeros(self.world.dim_p)

    def observe(self, agent):
        return observation(self.world.agents[self._index[agent]], self.world).astype(np.float32)

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self._reset_world()
        self.agents = self.possible_agents[:]
        self.rewards = {a: 0.0 for a in self.agents}
        self._cumulative_rewards = {a: 0.0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self.infos = {a: {} for a in self.agents}
        self.agent_selection = self._selector.reset()
        self.steps = 0
        self.current_actions = [None] * len(self.possible_agents)

    def _set_action(self, agent, action):
        u = np.zeros(self.world.dim_p)
        if action == 1:
            u[0] = -1.0
        elif action == 2:
            u[0] = 1.0
        elif action == 3:
            u[1] = -1.0
        elif action == 4:
            u[1] = 1.0
        agent.action.u = u * (5.0 if agent.accel is None else agent.accel)
        agent.action.c = np.zeros(self.world.dim_c)

    def _world_step(self):
        for i, agent in enumerate(self.world.agents):
            self._set_action(agent, self.current_actions[i] % (2 * self.world.dim_p + 1))
        self.world.step()
        g = float(global_reward(self.world))
        for agent in self.world.agents:
            r = local_reward(agent, self.world)
            self.rewards[agent.name] = g * (1 - self.local_ratio) + r * self.local_ratio

    def step(self, action):
        sel = self.agent_selection
        if self.terminations[sel] or self.truncations[sel]:
            self._was_dead_step(action)
            return
        idx = self._index[sel]
        self.agent_selection = self._selector.next()
        self.current_actions[idx] = action
        if (idx + 1) % len(self.possible_agents) == 0:  # the last agent closes the cycle
            self._world_step()
            self.steps += 1
            if self.steps >= self.max_cycles:
                for a in self.agents:
                    self.truncations[a] = True
        else:
            self._clear_rewards()
        self._cumulative_rewards[sel] = 0
        self._accumulate_rewards()


def parallel_env(**kwargs):
    """What `simple_spread_v3.parallel_env(...)` builds: make_env's wrappers, then aec_to_parallel."""
    env = SimpleSpreadAEC(**kwargs)
    env = wrappers.AssertOutOfBoundsWrapper(env)
    env = wrappers.OrderEnforcingWrapper(env)
    return aec_to_parallel_wrapper(env)


def check_against_fixture(path):
    """Replays the discrete cases of mpe_spread_golden.json; raises on the first mismatch."""
    import json

    with open(path) as f:
        cases = [c for c in json.load(f)["cases"]
                 if not c["continuousActions"] and c["numAgents"] == c["numLandmarks"]]
    for c in cases:
        env = parallel_env(N=c["numAgents"], local_ratio=c["localRatio"], max_cycles=c["maxCycles"])
        env.reset(seed=0)
        world = env.unwrapped.world
        for a, s in zip(world.agents, c["initialState"]["agents"]):
            a.state.p_pos = np.array(s["pos"], dtype=np.float64)
        for lm, s in zip(world.landmarks, c["initialState"]["landmarks"]):
            lm.state.p_pos = np.array(s["pos"], dtype=np.float64)
        names = env.possible_agents
        for t, acts in enumerate(c["actions"]):
            obs, rew, _, trunc, _ = env.step(dict(zip(names, acts)))
            for i, name in enumerate(names):
                np.testing.assert_allclose(obs[name], c["observations"][t][i], rtol=1e-6, atol=1e-6,
                                           err_msg=f"{c['name']} step {t} {name}")
                np.testing.assert_allclose(rew[name], c["rewards"][t][i], rtol=1e-9, atol=1e-9)
        assert all(trunc.values()), f"{c['name']}: not truncated after max_cycles"
    return len(cases)
