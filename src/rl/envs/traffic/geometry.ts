/**
 * Plane geometry for the traffic envs: paths made of straight and circular segments (the lanes
 * and routes vehicles follow), and oriented-rectangle overlap by the separating axis theorem.
 *
 * Units: metres and radians; headings are measured counter-clockwise from +x.
 */

/** Wrap an angle to [-pi, pi). */
export function wrapToPi(a: number): number {
  let x = (a + Math.PI) % (2 * Math.PI);
  if (x < 0) x += 2 * Math.PI;
  return x - Math.PI;
}

/** A point on a path in path coordinates: arc length `s` and signed lateral offset (left +). */
export interface PathCoords {
  s: number;
  lateral: number;
}

/** One piece of a path, parametrised by arc length from its own start. */
interface Segment {
  readonly length: number;
  /** Writes the point at arc length s (extrapolated beyond the ends) into out[0..1]. */
  position(s: number, lateral: number, out: Float64Array): void;
  heading(s: number): number;
  /** Local (s, lateral) of a point; s is not clamped. */
  project(x: number, y: number, out: PathCoords): void;
}

class LineSegment implements Segment {
  readonly length: number;
  private readonly ux: number;
  private readonly uy: number;
  private readonly h: number;

  constructor(
    readonly x0: number,
    readonly y0: number,
    x1: number,
    y1: number,
  ) {
    this.length = Math.hypot(x1 - x0, y1 - y0);
    this.ux = (x1 - x0) / this.length;
    this.uy = (y1 - y0) / this.length;
    this.h = Math.atan2(this.uy, this.ux);
  }

  position(s: number, lateral: number, out: Float64Array): void {
    // The left normal of (ux, uy) is (-uy, ux).
    out[0] = this.x0 + this.ux * s - this.uy * lateral;
    out[1] = this.y0 + this.uy * s + this.ux * lateral;
  }

  heading(): number {
    return this.h;
  }

  project(x: number, y: number, out: PathCoords): void {
    const dx = x - this.x0;
    const dy = y - this.y0;
    out.s = dx * this.ux + dy * this.uy;
    out.lateral = -dx * this.uy + dy * this.ux;
  }
}

class ArcSegment implements Segment {
  readonly length: number;
  /** +1 counter-clockwise (left turn), -1 clockwise (right turn). */
  private readonly dir: number;

  constructor(
    readonly cx: number,
    readonly cy: number,
    readonly radius: number,
    readonly startAngle: number,
    /** Signed sweep in radians; positive turns left. */
    readonly sweep: number,
  ) {
    this.length = Math.abs(sweep) * radius;
    this.dir = Math.sign(sweep);
  }

  position(s: number, lateral: number, out: Float64Array): void {
    const phi = this.startAngle + (this.dir * s) / this.radius;
    // Lateral left of travel points to the centre on a left turn and away from it on a right one.
    const r = this.radius - this.dir * lateral;
    out[0] = this.cx + r * Math.cos(phi);
    out[1] = this.cy + r * Math.sin(phi);
  }

  heading(s: number): number {
    const phi = this.startAngle + (this.dir * s) / this.radius;
    return wrapToPi(phi + (this.dir * Math.PI) / 2);
  }

  project(x: number, y: number, out: PathCoords): void {
    const dx = x - this.cx;
    const dy = y - this.cy;
    const phi = Math.atan2(dy, dx);
    const delta = wrapToPi(phi - this.startAngle) * this.dir;
    out.s = delta * this.radius;
    out.lateral = this.dir * (this.radius - Math.hypot(dx, dy));
  }
}

/**
 * A route or lane: straight lines and circular arcs joined end to end (tangent-continuous by
 * construction in the envs). Arc length runs from 0 at the start to `length` at the end; points
 * before the start or past the end extrapolate the first or last segment.
 */
export class Path {
  private readonly segments: Segment[] = [];
  private readonly offsets: number[] = [];
  length = 0;
  private readonly tmp: PathCoords = { s: 0, lateral: 0 };
  private endX: number;
  private endY: number;
  private endHeading: number;

  constructor(
    startX: number,
    startY: number,
    private startHeading: number,
  ) {
    this.endX = startX;
    this.endY = startY;
    this.endHeading = startHeading;
  }

  /** Extend by a straight line of `length` metres along the current end heading. */
  straight(length: number): this {
    const x1 = this.endX + length * Math.cos(this.endHeading);
    const y1 = this.endY + length * Math.sin(this.endHeading);
    return this.lineTo(x1, y1);
  }

  /** Extend by a straight line to (x, y); the heading becomes that of the line. */
  lineTo(x: number, y: number): this {
    const seg = new LineSegment(this.endX, this.endY, x, y);
    this.push(seg);
    this.endX = x;
    this.endY = y;
    this.endHeading = seg.heading();
    return this;
  }

  /** Extend by a circular arc of `radius`, turning by `sweep` radians (positive = left). */
  arc(radius: number, sweep: number): this {
    const dir = Math.sign(sweep);
    // The centre lies on the turning side of the current heading.
    const cx = this.endX - dir * radius * Math.sin(this.endHeading);
    const cy = this.endY + dir * radius * Math.cos(this.endHeading);
    const startAngle = Math.atan2(this.endY - cy, this.endX - cx);
    const seg = new ArcSegment(cx, cy, radius, startAngle, sweep);
    this.push(seg);
    const out = new Float64Array(2);
    seg.position(seg.length, 0, out);
    this.endX = out[0];
    this.endY = out[1];
    this.endHeading = wrapToPi(this.endHeading + sweep);
    return this;
  }

  private push(seg: Segment): void {
    this.segments.push(seg);
    this.offsets.push(this.length);
    this.length += seg.length;
  }

  private segmentAt(s: number): number {
    let i = 0;
    while (i < this.segments.length - 1 && s >= this.offsets[i + 1]) i++;
    return i;
  }

  /** The point at arc length s and lateral offset (left +), written into out. */
  position(s: number, lateral: number, out: Float64Array): Float64Array {
    const i = this.segmentAt(s);
    this.segments[i].position(s - this.offsets[i], lateral, out);
    return out;
  }

  heading(s: number): number {
    if (this.segments.length === 0) return this.startHeading;
    const i = this.segmentAt(s);
    return this.segments[i].heading(s - this.offsets[i]);
  }

  /**
   * Path coordinates of (x, y): the segment whose (clamped) foot point is closest wins; the first
   * segment extends backwards and the last one forwards.
   */
  project(x: number, y: number, out: PathCoords = { s: 0, lateral: 0 }): PathCoords {
    let best = Infinity;
    const n = this.segments.length;
    for (let i = 0; i < n; i++) {
      const seg = this.segments[i];
      seg.project(x, y, this.tmp);
      let s = this.tmp.s;
      let along = 0;
      if (s < 0 && i > 0) along = -s;
      else if (s > seg.length && i < n - 1) along = s - seg.length;
      if (along > 0) s = s < 0 ? 0 : seg.length;
      const d = along * along + this.tmp.lateral * this.tmp.lateral;
      if (d < best) {
        best = d;
        out.s = this.offsets[i] + s;
        out.lateral = this.tmp.lateral;
      }
    }
    return out;
  }
}

/** An oriented rectangle: centre, heading, length (along heading) and width. */
export interface OrientedRect {
  x: number;
  y: number;
  heading: number;
  length: number;
  width: number;
}

/**
 * Whether two oriented rectangles overlap (touching edges count as no overlap), by the separating
 * axis theorem: two convex polygons are disjoint iff their projections onto one of the edge
 * normals are disjoint; a rectangle has only two distinct normals, so four axes suffice.
 */
export function rectsOverlap(a: OrientedRect, b: OrientedRect): boolean {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  // Cheap rejection: the circumscribed circles do not meet.
  const ra = 0.5 * Math.hypot(a.length, a.width);
  const rb = 0.5 * Math.hypot(b.length, b.width);
  if (dx * dx + dy * dy >= (ra + rb) * (ra + rb)) return false;
  const ca = Math.cos(a.heading);
  const sa = Math.sin(a.heading);
  const cb = Math.cos(b.heading);
  const sb = Math.sin(b.heading);
  const axes = [ca, sa, -sa, ca, cb, sb, -sb, cb];
  for (let k = 0; k < 8; k += 2) {
    const ax = axes[k];
    const ay = axes[k + 1];
    const centre = Math.abs(dx * ax + dy * ay);
    // Half-extent of a rectangle along an axis: sum of its half-sides' projections.
    const ea =
      0.5 * a.length * Math.abs(ca * ax + sa * ay) + 0.5 * a.width * Math.abs(-sa * ax + ca * ay);
    const eb =
      0.5 * b.length * Math.abs(cb * ax + sb * ay) + 0.5 * b.width * Math.abs(-sb * ax + cb * ay);
    if (centre >= ea + eb) return false;
  }
  return true;
}
