/**
 * A small stochastic model used to check that checkpoint + resume replays exactly: walkers on
 * repeating schedules draw from seeded generators, schedule one-shot events on each other and send
 * messages through a bus with latency; everything observable lands in one Recorder log.
 */
import { Generator, type GeneratorState } from '../../../src/core/rng.js';
import { MessageBus, Scheduler, type Agent, type AgentRegistry } from '../../../src/mas/index.js';

export class Recorder implements Agent {
  log: string[] = [];
  getState(): string[] {
    return this.log;
  }
  setState(state: unknown): void {
    this.log = [...(state as string[])];
  }
}

export class Walker implements Agent {
  private rng: Generator;
  private position = 0;

  constructor(
    readonly name: string,
    private readonly peers: string[],
    private readonly scheduler: Scheduler,
    private readonly bus: MessageBus,
    private readonly recorder: Recorder,
    seed: number,
  ) {
    this.rng = new Generator(seed);
    bus.register(name).onMessage((box) => {
      for (let m = box.receive(); m; m = box.receive()) {
        this.recorder.log.push(`${scheduler.time} ${name} <- ${m.sender}: ${String(m.content)}`);
      }
    });
  }

  step(): void {
    this.position += this.rng.int(3) - 1;
    const peer = this.peers[this.rng.int(this.peers.length)];
    this.recorder.log.push(`${this.scheduler.time} ${this.name} at ${this.position}`);
    if (this.rng.uniform() < 0.5) {
      this.bus.send({
        performative: 'inform',
        sender: this.name,
        receivers: [peer],
        content: this.position,
      });
    } else {
      const when = this.scheduler.time + this.rng.int(4);
      this.scheduler.scheduleOnce(
        when,
        { agent: peer, method: 'poke', args: [this.name] },
        {
          priority: this.rng.int(3),
        },
      );
    }
  }

  poke(from: string): void {
    this.recorder.log.push(`${this.scheduler.time} ${this.name} poked by ${from}`);
  }

  getState(): { rng: GeneratorState; position: number } {
    return { rng: this.rng.getState(), position: this.position };
  }

  setState(state: unknown): void {
    const s = state as { rng: GeneratorState; position: number };
    this.rng.setState(s.rng);
    this.position = s.position;
  }
}

export const NAMES = ['ant', 'bee', 'cat', 'dog'];

/** Builds the model's agents against `scheduler`; also used as the restore factory. */
export function buildModel(scheduler: Scheduler): AgentRegistry & Record<string, Agent> {
  const bus = new MessageBus(scheduler, { latency: 0.5 });
  const recorder = new Recorder();
  const registry: Record<string, Agent> = { recorder };
  NAMES.forEach((name, i) => {
    registry[name] = new Walker(name, NAMES, scheduler, bus, recorder, 100 + i);
  });
  return registry;
}

/** A fresh model with its walkers' repeating schedules in place. */
export function startModel(): { scheduler: Scheduler; recorder: Recorder } {
  const scheduler = new Scheduler();
  const registry = buildModel(scheduler);
  for (const [id, agent] of Object.entries(registry)) scheduler.register(id, agent);
  NAMES.forEach((name, i) =>
    scheduler.scheduleRepeating(i * 0.25, 1 + i * 0.5, name, { priority: i % 2 }),
  );
  return { scheduler, recorder: registry.recorder as Recorder };
}
