import { ConfigError } from '../../../core/errors.js';

/*
 * ASCII grid maps shared by GridWorld and MultiGridWorld.
 *   '#' wall   '.' or ' ' floor   'S' start (floor)   'G' goal   'X' pit (also 'H', as FrozenLake)
 */

export const FLOOR = 0;
export const WALL = 1;
export const GOAL = 2;
export const PIT = 3;

export const PRESET_MAPS = {
  empty5: ['#######', '#S....#', '#.....#', '#.....#', '#.....#', '#....G#', '#######'],
  fourRooms: [
    '###########',
    '#S...#....#',
    '#....#....#',
    '#.........#',
    '#....#....#',
    '##.####.###',
    '#....#....#',
    '#....#....#',
    '#.........#',
    '#....#...G#',
    '###########',
  ],
  cliff: ['############', '#..........#', '#..........#', '#SXXXXXXXXG#', '############'],
  lava: ['#########', '#S..X...#', '#.X...X.#', '#...X...#', '#.X...X.#', '#...X..G#', '#########'],
  arena8: [
    '##########',
    '#S......S#',
    '#........#',
    '#..X..X..#',
    '#...GG...#',
    '#...GG...#',
    '#..X..X..#',
    '#........#',
    '#S......S#',
    '##########',
  ],
} as const satisfies Record<string, readonly string[]>;
export type PresetMap = keyof typeof PRESET_MAPS;
export const PRESET_NAMES = Object.keys(PRESET_MAPS) as [PresetMap, ...PresetMap[]];

/** FrozenLake's action order: 0 left, 1 down, 2 right, 3 up. */
export const MOVES: readonly (readonly [number, number])[] = [
  [0, -1],
  [1, 0],
  [0, 1],
  [-1, 0],
];

export interface Grid {
  rows: number;
  cols: number;
  /** Cell kinds, row-major. */
  cells: Uint8Array;
  /** Cell indices marked 'S'. */
  starts: number[];
  /** Non-wall, non-terminal cells (where agents may be placed when 'S' cells run out). */
  floor: number[];
  lines: readonly string[];
}

export function parseGrid(map: PresetMap | readonly string[], where: string): Grid {
  const lines = typeof map === 'string' ? PRESET_MAPS[map] : map;
  if (!lines || lines.length === 0) throw new ConfigError(`${where}: map is empty or unknown`);
  const cols = lines[0].length;
  const rows = lines.length;
  const cells = new Uint8Array(rows * cols);
  const starts: number[] = [];
  const floor: number[] = [];
  lines.forEach((line, r) => {
    if (line.length !== cols) {
      throw new ConfigError(`${where}: map row ${r} has ${line.length} columns, row 0 has ${cols}`);
    }
    for (let c = 0; c < cols; c++) {
      const ch = line[c];
      const i = r * cols + c;
      if (ch === '#') cells[i] = WALL;
      else if (ch === 'G') cells[i] = GOAL;
      else if (ch === 'X' || ch === 'H') cells[i] = PIT;
      else if (ch === '.' || ch === ' ' || ch === 'S') {
        cells[i] = FLOOR;
        floor.push(i);
        if (ch === 'S') starts.push(i);
      } else {
        throw new ConfigError(`${where}: unknown map character '${ch}' at row ${r}, column ${c}`);
      }
    }
  });
  if (floor.length === 0) throw new ConfigError(`${where}: map has no floor cell to start on`);
  return { rows, cols, cells, starts: starts.length > 0 ? starts : floor, floor, lines };
}

/** The cell kind at (r, c); outside the map reads as wall, so views need no bounds checks. */
export function cellAt(g: Grid, r: number, c: number): number {
  return r < 0 || c < 0 || r >= g.rows || c >= g.cols ? WALL : g.cells[r * g.cols + c];
}

/** Where a move from cell `pos` ends: the next cell, or `pos` itself if that is a wall. */
export function moveFrom(g: Grid, pos: number, action: number): number {
  const r = Math.floor(pos / g.cols) + MOVES[action][0];
  const c = (pos % g.cols) + MOVES[action][1];
  return cellAt(g, r, c) === WALL ? pos : r * g.cols + c;
}

/** 1 for each move that leaves the cell, 0 for moves into a wall. */
export function moveMask(g: Grid, pos: number): Int8Array {
  return Int8Array.from(MOVES, (_, a) => (moveFrom(g, pos, a) !== pos ? 1 : 0));
}

/**
 * Writes a one-hot [2r+1, 2r+1, channels] window centred on `pos` (channels 0 wall, 1 goal,
 * 2 pit) into `out`; callers fill their extra agent channels.
 */
export function writeView(
  g: Grid,
  pos: number,
  radius: number,
  channels: number,
  out: Float32Array,
): void {
  const side = 2 * radius + 1;
  const pr = Math.floor(pos / g.cols);
  const pc = pos % g.cols;
  out.fill(0);
  for (let dr = 0; dr < side; dr++) {
    for (let dc = 0; dc < side; dc++) {
      const kind = cellAt(g, pr - radius + dr, pc - radius + dc);
      if (kind !== FLOOR) out[(dr * side + dc) * channels + (kind - 1)] = 1;
    }
  }
}
