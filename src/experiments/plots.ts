/**
 * SVG plots rendered headless with Vega (vega.github.io): a spec is parsed into a View with the
 * 'none' renderer and `view.toSVG()` produces the markup, no browser or canvas needed (text
 * widths are estimated without node-canvas). Vega-Lite would give shorter specs, but its current
 * release requires Node 22; two plain Vega specs are short enough.
 */
import { parse, View, type Spec } from 'vega';
import type { CurveBand } from '../metrics/index.js';
import type { TimeSeries } from './methods.js';

export interface BandSeries {
  name: string;
  band: CurveBand;
  /** Drawn dashed (the baseline). */
  dashed?: boolean;
}

interface Row {
  series: string;
  x: number;
  y: number;
  lo: number | null;
  hi: number | null;
  dashed: boolean;
}

const num = (v: number): number => Number(v.toPrecision(6));

async function render(spec: Spec): Promise<string> {
  const view = new View(parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function chartSpec(
  rows: Row[],
  options: {
    title: string;
    xTitle: string;
    yTitle: string;
    legend: string;
    bands: boolean;
    width?: number;
  },
): Spec {
  const withBand = rows.filter((r) => r.lo !== null && r.hi !== null);
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width: options.width ?? 560,
    height: 300,
    padding: 8,
    title: { text: options.title, anchor: 'start', fontSize: 14 },
    data: [
      { name: 'rows', values: rows },
      { name: 'bands', values: withBand },
    ],
    scales: [
      {
        name: 'x',
        type: 'linear',
        domain: { data: 'rows', field: 'x' },
        range: 'width',
        zero: false,
      },
      {
        name: 'y',
        type: 'linear',
        domain: {
          fields: [
            { data: 'rows', field: 'y' },
            { data: 'bands', field: 'lo' },
            { data: 'bands', field: 'hi' },
          ],
        },
        range: 'height',
        nice: true,
        zero: false,
      },
      {
        name: 'color',
        type: 'ordinal',
        domain: { data: 'rows', field: 'series' },
        range: 'category',
      },
    ],
    axes: [
      {
        orient: 'bottom',
        scale: 'x',
        title: options.xTitle,
        format: '~s',
        grid: true,
        gridOpacity: 0.3,
      },
      { orient: 'left', scale: 'y', title: options.yTitle, grid: true, gridOpacity: 0.3 },
    ],
    legends: [
      {
        stroke: 'color',
        fill: 'color',
        title: options.legend,
        orient: 'right',
        symbolType: 'stroke',
      },
    ],
    marks: [
      ...(options.bands && withBand.length > 0
        ? [
            {
              type: 'group' as const,
              from: { facet: { name: 'bandFacet', data: 'bands', groupby: 'series' } },
              marks: [
                {
                  type: 'area' as const,
                  from: { data: 'bandFacet' },
                  encode: {
                    enter: {
                      x: { scale: 'x', field: 'x' },
                      y: { scale: 'y', field: 'lo' },
                      y2: { scale: 'y', field: 'hi' },
                      fill: { scale: 'color', field: 'series' },
                      fillOpacity: { value: 0.18 },
                    },
                  },
                },
              ],
            },
          ]
        : []),
      {
        type: 'group' as const,
        from: { facet: { name: 'lineFacet', data: 'rows', groupby: 'series' } },
        marks: [
          {
            type: 'line' as const,
            from: { data: 'lineFacet' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'x' },
                y: { scale: 'y', field: 'y' },
                stroke: { scale: 'color', field: 'series' },
                strokeWidth: { value: 2 },
                strokeDash: { signal: 'datum.dashed ? [6, 3] : [1, 0]' },
                defined: { signal: 'isValid(datum.y) && isFinite(datum.y)' },
              },
            },
          },
        ],
      },
    ],
  };
}

/** Learning curves: the mean over seeds of each series with its confidence band. */
export function learningCurvesSvg(
  series: readonly BandSeries[],
  options: { title: string; level?: number; xTitle?: string; yTitle?: string },
): Promise<string> {
  const rows: Row[] = series.flatMap((s) =>
    s.band.steps.map((x, i) => ({
      series: s.name,
      x: num(x),
      y: num(s.band.mean[i]),
      lo: s.band.lower[i] === null ? null : num(s.band.lower[i]!),
      hi: s.band.upper[i] === null ? null : num(s.band.upper[i]!),
      dashed: s.dashed === true,
    })),
  );
  const level = Math.round((options.level ?? 0.95) * 100);
  return render(
    chartSpec(rows, {
      title: `${options.title} (mean over seeds, ${level}% CI band)`,
      xTitle: options.xTitle ?? 'environment steps',
      yTitle: options.yTitle ?? 'episodic return',
      legend: 'method',
      bands: true,
    }),
  );
}

/** A method's time series (e.g. A2T attention weights per source) against training steps. */
export function timeSeriesSvg(ts: TimeSeries, options: { title: string }): Promise<string> {
  const rows: Row[] = Object.entries(ts.series).flatMap(([name, values]) =>
    ts.steps.map((x, i) => ({
      series: name,
      x: num(x),
      y: Number.isFinite(values[i]) ? num(values[i]) : NaN,
      lo: null,
      hi: null,
      dashed: false,
    })),
  );
  return render(
    chartSpec(rows, {
      title: options.title,
      xTitle: 'environment steps',
      yTitle: ts.yLabel ?? ts.name,
      legend: 'series',
      bands: false,
    }),
  );
}
