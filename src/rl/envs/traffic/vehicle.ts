/**
 * Vehicles for the traffic envs: highway-env's kinematic bicycle model, its lane-following
 * steering controller and proportional speed controller, and the Intelligent Driver Model (IDM)
 * that drives background traffic.
 *
 * Units: metres, seconds, radians; speed m/s, acceleration m/s^2.
 *
 * Kinematic bicycle (reference point at the centre, as highway-env's `Vehicle.step`):
 *     beta = atan(tan(delta) / 2)                 slip angle from front-wheel steering delta
 *     x   += v cos(psi + beta) dt,   y += v sin(psi + beta) dt
 *     psi += v sin(beta) / (L / 2) dt
 *     v   += a dt,  clipped to [0, MAX_SPEED]     (highway-env allows reversing; we do not)
 *
 * IDM (Treiber et al. 2000, with highway-env's parameters), d = centre-to-centre distance:
 *     a = A (1 - (v / v0)^DELTA) - A (d* / d)^2
 *     d* = D0 + v T + v dv / (2 sqrt(A B)),   dv = v - v_front
 *     A = 3, B = 5, D0 = 5 m + LENGTH, T = 1.5 s, DELTA = 4, |a| <= ACC_MAX = 6
 */
import { Path, wrapToPi, type OrientedRect, type PathCoords } from './geometry.js';

export const VEHICLE_LENGTH = 5.0;
export const VEHICLE_WIDTH = 2.0;
export const MAX_SPEED = 40.0;
/** Steering limit, rad (highway-env's MAX_STEERING_ANGLE). */
export const MAX_STEERING = Math.PI / 3;

/** highway-env's IDMVehicle constants. */
export const IDM = {
  ACC_MAX: 6.0,
  COMFORT_ACC_MAX: 3.0,
  COMFORT_ACC_MIN: -5.0,
  DISTANCE_WANTED: 5.0 + VEHICLE_LENGTH,
  TIME_WANTED: 1.5,
  DELTA: 4.0,
} as const;

/** highway-env's ControlledVehicle controller time constants. */
export const CONTROL = {
  TAU_ACC: 0.6,
  TAU_HEADING: 0.2,
  TAU_LATERAL: 0.6,
  TAU_PURSUIT: 0.1,
} as const;

function notZero(x: number, eps = 1e-2): number {
  if (Math.abs(x) > eps) return x;
  return x >= 0 ? eps : -eps;
}

/** One vehicle: state, the path it follows and the controls it applied last. */
export class Vehicle implements OrientedRect {
  x: number;
  y: number;
  heading: number;
  speed: number;
  readonly length = VEHICLE_LENGTH;
  readonly width = VEHICLE_WIDTH;
  /** Control applied in the last step. */
  acceleration = 0;
  steering = 0;
  /** Cruise speed for the speed controller / IDM. */
  targetSpeed: number;
  /** Lane index on a multi-lane road, for lane changes (-1 where lanes do not apply). */
  laneIndex = -1;
  targetLaneIndex = -1;
  /** Cached path coordinates, refreshed by `updateCoords`. */
  readonly coords: PathCoords = { s: 0, lateral: 0 };
  crashed = false;

  constructor(
    readonly id: number,
    /** The path the vehicle drives along (its route or its current target lane). */
    public path: Path,
    s: number,
    speed: number,
    public readonly controlled: boolean,
  ) {
    const p = path.position(s, 0, new Float64Array(2));
    this.x = p[0];
    this.y = p[1];
    this.heading = path.heading(s);
    this.speed = speed;
    this.targetSpeed = speed;
    this.updateCoords();
  }

  updateCoords(): void {
    this.path.project(this.x, this.y, this.coords);
  }

  /** Integrate the kinematic bicycle for dt seconds with the given controls (clipped). */
  step(acceleration: number, steering: number, dt: number): void {
    const delta = Math.max(-MAX_STEERING, Math.min(MAX_STEERING, steering));
    let acc = acceleration;
    // Keep the speed within [0, MAX_SPEED] as the controls would otherwise push it out.
    if (this.speed + acc * dt > MAX_SPEED) acc = (MAX_SPEED - this.speed) / dt;
    if (this.speed + acc * dt < 0) acc = -this.speed / dt;
    this.acceleration = acc;
    this.steering = delta;
    const beta = Math.atan(0.5 * Math.tan(delta));
    this.x += this.speed * Math.cos(this.heading + beta) * dt;
    this.y += this.speed * Math.sin(this.heading + beta) * dt;
    this.heading = wrapToPi(
      this.heading + ((this.speed * Math.sin(beta)) / (this.length / 2)) * dt,
    );
    // Clamp again: speed + (-speed / dt) * dt can round to a tiny negative number.
    this.speed = clip(this.speed + acc * dt, 0, MAX_SPEED);
    this.updateCoords();
  }

  get vx(): number {
    return this.speed * Math.cos(this.heading);
  }

  get vy(): number {
    return this.speed * Math.sin(this.heading);
  }
}

/**
 * highway-env's `ControlledVehicle.steering_control`: pursue a point TAU_PURSUIT seconds ahead
 * on `path`, turning the lateral error into a heading reference and that into a steering angle.
 */
export function steeringControl(v: Vehicle, path: Path): number {
  const c = path === v.path ? v.coords : path.project(v.x, v.y);
  const sNext = c.s + v.speed * CONTROL.TAU_PURSUIT;
  const futureHeading = path.heading(sNext);
  const lateralSpeedCommand = -(1 / CONTROL.TAU_LATERAL) * c.lateral;
  const headingCommand = Math.asin(clip(lateralSpeedCommand / notZero(v.speed), -1, 1));
  const headingRef = futureHeading + clip(headingCommand, -Math.PI / 4, Math.PI / 4);
  const headingRateCommand = (1 / CONTROL.TAU_HEADING) * wrapToPi(headingRef - v.heading);
  const slip = Math.asin(clip((v.length / 2 / notZero(v.speed)) * headingRateCommand, -1, 1));
  const steering = Math.atan(2 * Math.tan(slip));
  return clip(steering, -MAX_STEERING, MAX_STEERING);
}

/** Proportional speed control towards `target` (highway-env's `speed_control`). */
export function speedControl(v: Vehicle, target: number): number {
  return (1 / CONTROL.TAU_ACC) * (target - v.speed);
}

/**
 * IDM acceleration for a follower at `speed` behind a leader `distance` metres ahead
 * (centre to centre) driving at `leaderSpeed`; pass distance = Infinity for a free road.
 */
export function idmAcceleration(
  speed: number,
  targetSpeed: number,
  distance: number,
  leaderSpeed: number,
): number {
  const v = Math.max(speed, 0);
  let acc = IDM.COMFORT_ACC_MAX * (1 - Math.pow(v / notZero(targetSpeed), IDM.DELTA));
  if (Number.isFinite(distance)) {
    const gap = idmDesiredGap(v, v - leaderSpeed);
    acc -= IDM.COMFORT_ACC_MAX * Math.pow(gap / notZero(distance), 2);
  }
  return clip(acc, -IDM.ACC_MAX, IDM.ACC_MAX);
}

/** IDM desired distance d* for speed v closing on the leader at dv. */
export function idmDesiredGap(v: number, dv: number): number {
  const ab = -IDM.COMFORT_ACC_MAX * IDM.COMFORT_ACC_MIN;
  return IDM.DISTANCE_WANTED + v * IDM.TIME_WANTED + (v * dv) / (2 * Math.sqrt(ab));
}

export function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
