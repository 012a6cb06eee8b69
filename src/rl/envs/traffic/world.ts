/**
 * The traffic simulation shared by the traffic envs, independent of the env API: a set of
 * vehicles, scripted IDM background traffic, oriented-rectangle collisions, spawning and
 * despawning. A `RoadLayout` (intersection, highway merge) supplies the geometry and the rules
 * that depend on it.
 *
 * One `step(dt)`:
 *   1. background vehicles choose controls (IDM along their path + lane-keeping steering, and
 *      the layout's yielding / merging rules), controlled vehicles use the controls set on them;
 *   2. every vehicle integrates the kinematic bicycle model;
 *   3. collisions: every overlapping pair (SAT on the 5 m x 2 m rectangles) is marked crashed,
 *      and controlled vehicles that left the road are marked off-road;
 *   4. crashed background vehicles and background vehicles past the end of their path are
 *      removed; new background vehicles spawn where the layout allows.
 * Controlled vehicles are never removed here: the env removes them with their agents.
 */
import type { Generator } from '../../../core/rng.js';
import type { Path } from './geometry.js';
import { rectsOverlap } from './geometry.js';
import { VEHICLE_LENGTH, Vehicle, idmAcceleration, steeringControl } from './vehicle.js';

/**
 * A virtual obstacle a background vehicle treats as a leader: a stop line or lane end (speed 0),
 * or a vehicle it yields to.
 */
export interface VirtualObstacle {
  /** Arc length on the vehicle's path of the obstacle's near edge. */
  s: number;
  /** Speed along the path (m/s); 0 when absent. */
  speed?: number;
}

/** Geometry-specific rules of a road. */
export interface RoadLayout {
  /** Reference speed (m/s) that normalises progress rewards. */
  readonly referenceSpeed: number;
  /** Called once per step before background controls are chosen (claims, merges). */
  beforeStep(world: TrafficWorld): void;
  /** Nearest obstacle ahead of a background vehicle on its path, or null. */
  obstacleAhead(world: TrafficWorld, v: Vehicle): VirtualObstacle | null;
  /** Whether a vehicle is still on a drivable surface. */
  onRoad(v: Vehicle): boolean;
  /** Whether a background vehicle has reached the end of its trip and leaves the world. */
  finished(v: Vehicle): boolean;
  /** Adds background vehicles where and when the layout wants them. */
  spawn(world: TrafficWorld, rng: Generator): void;
}

/** Extra lateral clearance (m) below which a vehicle beside a path counts as on it. */
export const LATERAL_MARGIN = 0.3;

/**
 * Whether vehicle u, at path coordinates (s, lateral), reaches into the strip of width
 * `width` + 2 LATERAL_MARGIN that a vehicle driving along `path` sweeps: its half-extent across
 * the path depends on its heading relative to the path there.
 */
export function onPath(u: Vehicle, path: Path, s: number, lateral: number, width: number): boolean {
  const dh = u.heading - path.heading(s);
  const extent = 0.5 * u.length * Math.abs(Math.sin(dh)) + 0.5 * u.width * Math.abs(Math.cos(dh));
  return Math.abs(lateral) < 0.5 * width + extent + LATERAL_MARGIN;
}

export class TrafficWorld {
  vehicles: Vehicle[] = [];
  /** Pairs of vehicle ids that collided in the last step. */
  collisions: [number, number][] = [];
  /** Number of background-background collisions since reset (should stay 0). */
  backgroundCollisions = 0;
  time = 0;
  private nextId = 0;
  private readonly tmp = { s: 0, lateral: 0 };
  private readonly tmp2 = { s: 0, lateral: 0 };

  constructor(
    readonly layout: RoadLayout,
    readonly rng: Generator,
  ) {}

  /** Creates a vehicle on `path` at arc length `s` and adds it. */
  addVehicle(path: Path, s: number, speed: number, controlled: boolean): Vehicle {
    const v = new Vehicle(this.nextId++, path, s, speed, controlled);
    this.vehicles.push(v);
    return v;
  }

  remove(v: Vehicle): void {
    const i = this.vehicles.indexOf(v);
    if (i >= 0) this.vehicles.splice(i, 1);
  }

  /** Whether any vehicle's centre lies within `radius` metres of (x, y). */
  isClear(x: number, y: number, radius: number): boolean {
    for (const v of this.vehicles) {
      if ((v.x - x) ** 2 + (v.y - y) ** 2 < radius * radius) return false;
    }
    return true;
  }

  /**
   * The closest vehicle ahead of `v` on `path`, with the centre-to-centre distance along the path.
   * Another vehicle counts when it is further along the path and either follows the same path
   * or its body reaches into the strip the path sweeps (see `onPath`).
   */
  leader(v: Vehicle, path: Path = v.path): { vehicle: Vehicle; distance: number } | null {
    return this.neighbour(v, path, +1);
  }

  /** The closest vehicle behind `v` on `path`, by the same rule as `leader`. */
  follower(v: Vehicle, path: Path): { vehicle: Vehicle; distance: number } | null {
    return this.neighbour(v, path, -1);
  }

  private neighbour(
    v: Vehicle,
    path: Path,
    direction: 1 | -1,
  ): { vehicle: Vehicle; distance: number } | null {
    const me = path === v.path ? v.coords.s : path.project(v.x, v.y, this.tmp).s;
    let best: Vehicle | null = null;
    let bestD = Infinity;
    const c = this.tmp2;
    for (const u of this.vehicles) {
      if (u === v) continue;
      path.project(u.x, u.y, c);
      const d = direction * (c.s - me);
      // A vehicle steering into this path (a lane change, a merge) counts from the start.
      if (d > 0 && d < bestD && (u.path === path || onPath(u, path, c.s, c.lateral, v.width))) {
        best = u;
        bestD = d;
      }
    }
    return best ? { vehicle: best, distance: bestD } : null;
  }

  /** IDM acceleration of `v` on `path`, given its leader and the layout's obstacles. */
  idm(v: Vehicle, path: Path = v.path): number {
    const lead = this.leader(v, path);
    let distance = lead ? lead.distance : Infinity;
    let leaderSpeed = lead ? projectedSpeed(lead.vehicle, v) : 0;
    if (path === v.path) {
      const obstacle = this.layout.obstacleAhead(this, v);
      if (obstacle) {
        // An obstacle behaves like a vehicle whose rear is at the obstacle.
        const d = obstacle.s + VEHICLE_LENGTH / 2 - v.coords.s;
        if (d < distance) {
          distance = d;
          leaderSpeed = obstacle.speed ?? 0;
        }
      }
    }
    return idmAcceleration(v.speed, v.targetSpeed, Math.max(distance, 1e-3), leaderSpeed);
  }

  /** Advance the simulation by dt seconds (see the file header for the order of events). */
  step(dt: number): void {
    this.layout.beforeStep(this);
    const controls: number[] = [];
    for (const v of this.vehicles) {
      if (v.controlled) {
        controls.push(v.acceleration, v.steering);
      } else {
        controls.push(this.idm(v), steeringControl(v, v.path));
      }
    }
    this.vehicles.forEach((v, i) => v.step(controls[2 * i], controls[2 * i + 1], dt));
    this.time += dt;
    this.detectCollisions();
    this.vehicles = this.vehicles.filter(
      (v) => v.controlled || (!v.crashed && !this.layout.finished(v)),
    );
    this.layout.spawn(this, this.rng);
  }

  private detectCollisions(): void {
    this.collisions = [];
    const vs = this.vehicles;
    for (let i = 0; i < vs.length; i++) {
      for (let j = i + 1; j < vs.length; j++) {
        if (rectsOverlap(vs[i], vs[j])) {
          vs[i].crashed = true;
          vs[j].crashed = true;
          this.collisions.push([vs[i].id, vs[j].id]);
          if (!vs[i].controlled && !vs[j].controlled) this.backgroundCollisions++;
        }
      }
    }
  }
}

/** Speed of `u` along the heading of `v` (what IDM compares with v's own speed). */
export function projectedSpeed(u: Vehicle, v: Vehicle): number {
  return u.speed * Math.cos(u.heading - v.heading);
}
