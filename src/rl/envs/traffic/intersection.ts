/**
 * An unsignalised 4-way intersection with one lane per direction (right-hand traffic).
 *
 * Geometry (metres): the crossing box is the square [-8, 8]^2 around the origin; lanes are 4 m
 * wide, so a vehicle travelling north drives at x = +2. Each of the 4 arms has an approach of
 * 60 m before the box and every exit runs 60 m beyond it. From each arm a route goes straight
 * (through the box), turns right (arc of radius 6 m) or turns left (arc of radius 10 m): 12
 * routes, numbered arm * 3 + turn.
 *
 * Right of way for background traffic: first come, first served. A background vehicle within 40 m
 * of the box that is first in its queue claims the box when no vehicle on a conflicting route
 * (crossing or merging, precomputed by sampling the routes) holds a claim, waits since earlier,
 * or is, if controlled, inside or within 10 m of the box. Until it holds a claim it treats the stop line as a stopped
 * obstacle under IDM; the claim is released when its rear leaves the box. Controlled vehicles
 * (the agents) have no such rule: yielding is theirs to learn.
 */
import type { Generator } from '../../../core/rng.js';
import { Path } from './geometry.js';
import { VEHICLE_LENGTH, VEHICLE_WIDTH, type Vehicle } from './vehicle.js';
import type { RoadLayout, TrafficWorld, VirtualObstacle } from './world.js';

export const LANE_WIDTH = 4;
export const BOX_HALF = 8;
export const APPROACH_LENGTH = 60;
export const EXIT_LENGTH = 60;
/** Routes closer than this (centre lines, metres) inside the box conflict. */
const CONFLICT_DISTANCE = 3.5;
const CLAIM_DISTANCE = 40;

export type Turn = 'right' | 'straight' | 'left';
export const TURNS: readonly Turn[] = ['right', 'straight', 'left'];

export interface Route {
  index: number;
  /** 0 south (travelling north), 1 east (west), 2 north (south), 3 west (east). */
  arm: number;
  turn: Turn;
  path: Path;
  /** Arc length at the stop line and where the route leaves the box. */
  boxEntryS: number;
  boxExitS: number;
}

export interface IntersectionConfig {
  /** Probability per step and arm that a background vehicle appears (if the entry is clear). */
  spawnProbability: number;
  /** Background vehicles placed at reset. */
  initialVehicles: number;
  /** Cap on background vehicles. */
  maxVehicles: number;
  /** Background cruise speeds are drawn uniformly from this range (m/s). */
  speedRange: [number, number];
}

function buildRoute(index: number, arm: number, turn: Turn): Route {
  const heading = Math.PI / 2 + (arm * Math.PI) / 2;
  // Start of the approach of the south arm, rotated to this arm.
  const x0 = LANE_WIDTH / 2;
  const y0 = -(BOX_HALF + APPROACH_LENGTH);
  const c = Math.cos((arm * Math.PI) / 2);
  const s = Math.sin((arm * Math.PI) / 2);
  const path = new Path(c * x0 - s * y0, s * x0 + c * y0, heading).straight(APPROACH_LENGTH);
  const boxEntryS = path.length;
  if (turn === 'straight') path.straight(2 * BOX_HALF);
  else if (turn === 'right') path.arc(BOX_HALF - LANE_WIDTH / 2, -Math.PI / 2);
  else path.arc(BOX_HALF + LANE_WIDTH / 2, Math.PI / 2);
  const boxExitS = path.length;
  path.straight(EXIT_LENGTH);
  return { index, arm, turn, path, boxEntryS, boxExitS };
}

/** Whether two routes cross or merge inside (or just beyond) the box. */
function routesConflict(a: Route, b: Route): boolean {
  if (a.arm === b.arm) return false;
  const pa = new Float64Array(2);
  const pb = new Float64Array(2);
  const margin = VEHICLE_LENGTH;
  for (let sa = a.boxEntryS; sa <= a.boxExitS + margin; sa += 0.25) {
    a.path.position(sa, 0, pa);
    for (let sb = b.boxEntryS; sb <= b.boxExitS + margin; sb += 0.25) {
      b.path.position(sb, 0, pb);
      if (Math.hypot(pa[0] - pb[0], pa[1] - pb[1]) < CONFLICT_DISTANCE) return true;
    }
  }
  return false;
}

export class IntersectionLayout implements RoadLayout {
  readonly referenceSpeed = 10;
  readonly routes: Route[] = [];
  /** conflicts[i][j]: routes i and j may not hold the box together. */
  readonly conflicts: boolean[][];
  private readonly routeOf = new Map<Vehicle, Route>();
  private readonly claims = new Set<Vehicle>();
  /** Step at which a waiting vehicle became first in its queue within the claim zone. */
  private readonly arrival = new Map<Vehicle, number>();
  private tick = 0;

  constructor(readonly config: IntersectionConfig) {
    for (let arm = 0; arm < 4; arm++) {
      TURNS.forEach((turn) => this.routes.push(buildRoute(this.routes.length, arm, turn)));
    }
    this.conflicts = this.routes.map((a) => this.routes.map((b) => routesConflict(a, b)));
  }

  route(arm: number, turn: Turn): Route {
    return this.routes[arm * 3 + TURNS.indexOf(turn)];
  }

  routeOfVehicle(v: Vehicle): Route | undefined {
    return this.routeOf.get(v);
  }

  /** Forget all vehicles (on reset). */
  clear(): void {
    this.routeOf.clear();
    this.claims.clear();
    this.arrival.clear();
    this.tick = 0;
  }

  /** Put a vehicle on `route` at arc length s. */
  addVehicle(
    world: TrafficWorld,
    route: Route,
    s: number,
    speed: number,
    controlled: boolean,
  ): Vehicle {
    const v = world.addVehicle(route.path, s, speed, controlled);
    this.routeOf.set(v, route);
    return v;
  }

  hasClaim(v: Vehicle): boolean {
    return this.claims.has(v);
  }

  beforeStep(world: TrafficWorld): void {
    const live = new Set(world.vehicles);
    for (const v of [...this.claims]) {
      const r = this.routeOf.get(v)!;
      if (!live.has(v) || v.coords.s - VEHICLE_LENGTH / 2 > r.boxExitS) this.claims.delete(v);
    }
    for (const v of [...this.routeOf.keys()]) {
      if (!live.has(v)) {
        this.routeOf.delete(v);
        this.arrival.delete(v);
      }
    }

    const candidates: Vehicle[] = [];
    for (const v of world.vehicles) {
      if (v.controlled || this.claims.has(v)) continue;
      const r = this.routeOf.get(v)!;
      const toStop = r.boxEntryS - (v.coords.s + VEHICLE_LENGTH / 2);
      if (toStop > CLAIM_DISTANCE || v.coords.s > r.boxEntryS) continue;
      if (this.queuedBehind(world, v, r)) continue;
      if (!this.arrival.has(v)) this.arrival.set(v, this.tick);
      candidates.push(v);
    }
    this.tick++;
    // First come, first served: a waiting vehicle also blocks conflicting later arrivals, so
    // nobody waits forever.
    candidates.sort((a, b) => this.arrival.get(a)! - this.arrival.get(b)! || a.id - b.id);
    const waiting: Route[] = [];
    for (const v of candidates) {
      const r = this.routeOf.get(v)!;
      if (!this.blocked(world, r) && !waiting.some((w) => this.conflicts[r.index][w.index])) {
        this.claims.add(v);
        this.arrival.delete(v);
      } else {
        waiting.push(r);
      }
    }
  }

  /** Whether an unclaimed vehicle from the same arm is between v and the box. */
  private queuedBehind(world: TrafficWorld, v: Vehicle, r: Route): boolean {
    for (const u of world.vehicles) {
      if (u === v || this.claims.has(u)) continue;
      const ru = this.routeOf.get(u);
      if (!ru || ru.arm !== r.arm) continue;
      if (u.coords.s > v.coords.s && u.coords.s <= ru.boxEntryS) return true;
    }
    return false;
  }

  private blocked(world: TrafficWorld, r: Route): boolean {
    for (const u of world.vehicles) {
      const ru = this.routeOf.get(u);
      if (!ru || !this.conflicts[r.index][ru.index]) continue;
      if (this.claims.has(u)) return true;
      if (u.controlled) {
        const s = u.coords.s;
        if (s >= ru.boxEntryS - 10 - VEHICLE_LENGTH / 2 && s <= ru.boxExitS + VEHICLE_LENGTH / 2) {
          return true;
        }
      }
    }
    return false;
  }

  obstacleAhead(_world: TrafficWorld, v: Vehicle): VirtualObstacle | null {
    if (this.claims.has(v)) return null;
    const r = this.routeOf.get(v);
    if (!r || v.coords.s > r.boxEntryS) return null;
    return { s: r.boxEntryS };
  }

  onRoad(v: Vehicle): boolean {
    const r = this.routeOf.get(v);
    if (!r) return true;
    return Math.abs(v.coords.lateral) <= LANE_WIDTH && v.coords.s >= -VEHICLE_LENGTH;
  }

  finished(v: Vehicle): boolean {
    return v.coords.s >= v.path.length;
  }

  /** Distance travelled along the route (m). */
  progress(v: Vehicle): number {
    return v.coords.s;
  }

  /** A controlled vehicle arrives when its centre is within 10 m of its route's end. */
  arrived(v: Vehicle): boolean {
    return v.coords.s >= v.path.length - 10;
  }

  /** One lane per direction: lane changes are ignored. */
  changeLane(): boolean {
    return false;
  }

  /** Ego features for the observation: route progress fraction and lateral offset in lanes. */
  egoFeatures(v: Vehicle): [number, number] {
    return [v.coords.s / v.path.length, v.coords.lateral / LANE_WIDTH];
  }

  /** Background vehicles at reset: on approaches outside the claim zone, or on exits. */
  populate(world: TrafficWorld, rng: Generator): void {
    for (let i = 0, tries = 0; i < this.config.initialVehicles && tries < 200; tries++) {
      const route = this.routes[rng.int(this.routes.length)];
      const onExit = rng.uniform() < 0.3;
      const s = onExit
        ? rng.uniformRange(route.boxExitS + VEHICLE_LENGTH, route.path.length - 10)
        : rng.uniformRange(0, route.boxEntryS - CLAIM_DISTANCE - VEHICLE_LENGTH);
      const p = route.path.position(s, 0, new Float64Array(2));
      if (!world.isClear(p[0], p[1], 20)) continue;
      const speed = rng.uniformRange(...this.config.speedRange);
      const v = this.addVehicle(world, route, s, speed, false);
      v.targetSpeed = speed;
      i++;
    }
  }

  spawn(world: TrafficWorld, rng: Generator): void {
    for (let arm = 0; arm < 4; arm++) {
      // Draw every time so the random stream does not depend on the traffic state.
      const u = rng.uniform();
      const turn = TURNS[rng.int(3)];
      const speed = rng.uniformRange(...this.config.speedRange);
      if (u >= this.config.spawnProbability) continue;
      const background = world.vehicles.filter((v) => !v.controlled).length;
      if (background >= this.config.maxVehicles) continue;
      const route = this.route(arm, turn);
      const p = route.path.position(0, 0, new Float64Array(2));
      if (!world.isClear(p[0], p[1], 20 + VEHICLE_WIDTH)) continue;
      const v = this.addVehicle(world, route, 0, speed, false);
      v.targetSpeed = speed;
    }
  }
}
