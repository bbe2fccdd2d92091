// SVG charts with vega-lite (compiled) + vega (rendered headless, renderer 'none').

export async function renderSvg(spec: any): Promise<string> {
  const vl: any = await import('vega-lite');
  const vega: any = await import('vega');
  const compiled = vl.compile(spec);
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', background: 'white', config: { font: 'sans-serif', legend: { labelLimit: 0 }, axis: { labelLimit: 0 } } };

export function latencySpec(rows: { model: string; engine: string; ms: number }[]): any {
  return {
    ...base,
    title: 'Whole-model latency, median ms (log scale), single thread',
    data: { values: rows.map((r) => ({ ...r, base: 1 })) },
    mark: 'bar',
    encoding: {
      x: { field: 'model', type: 'nominal', title: null, sort: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'engine', sort: null },
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log', domainMin: 1 }, title: 'ms' },
      y2: { field: 'base' },
      color: { field: 'engine', type: 'nominal', sort: null },
      tooltip: [{ field: 'ms' }],
    },
    width: 640,
    height: 320,
  };
}

export function seedSpec(rows: { layer: string; series: string; speedup: number }[]): any {
  return {
    ...base,
    title: 'Standard conv time / separable time: theory (MACs) vs measured',
    data: { values: rows },
    mark: { type: 'point', filled: true, size: 70 },
    encoding: {
      x: { field: 'layer', type: 'nominal', sort: null, title: null, axis: { labelAngle: -40 } },
      y: { field: 'speedup', type: 'quantitative', scale: { type: 'log' }, title: 'speed-up (x)' },
      color: { field: 'series', type: 'nominal' },
      shape: { field: 'series', type: 'nominal' },
    },
    width: 640,
    height: 320,
  };
}

export function rooflineSpec(points: { kernel: string; engine: string; intensity: number; gflops: number; family: string }[], roof: number, memoryGbps?: number): any {
  // The memory slope from the lowest intensity plotted up to the ridge point, where it meets the roof.
  const lo = Math.min(...points.map((p) => p.intensity)) / 1.5;
  const slope = memoryGbps ? [{ intensity: lo, bound: memoryGbps * lo }, { intensity: roof / memoryGbps, bound: roof }].filter((p) => p.intensity >= lo) : [];
  return {
    ...base,
    title: `Kernels against the measured f32x4 mul+add roof (${roof.toFixed(1)} GFLOP/s)${memoryGbps ? ` and memory roof (${memoryGbps.toFixed(1)} GB/s)` : ''}`,
    width: 640,
    height: 360,
    layer: [
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 50, opacity: 0.8 },
        encoding: {
          x: { field: 'intensity', type: 'quantitative', scale: { type: 'log' }, title: 'arithmetic intensity (flop / byte of input + output + weights)' },
          y: { field: 'gflops', type: 'quantitative', scale: { type: 'log' }, title: 'GFLOP/s' },
          color: { field: 'engine', type: 'nominal' },
          shape: { field: 'family', type: 'nominal' },
          tooltip: [{ field: 'kernel' }, { field: 'engine' }, { field: 'gflops' }],
        },
      },
      {
        data: { values: [{ roof }] },
        mark: { type: 'rule', strokeDash: [6, 4], color: 'black' },
        encoding: { y: { field: 'roof', type: 'quantitative' } },
      },
      ...(slope.length === 2
        ? [
            {
              data: { values: slope },
              mark: { type: 'line', strokeDash: [2, 3], color: 'gray' },
              encoding: { x: { field: 'intensity', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'bound', type: 'quantitative', scale: { type: 'log' } } },
            },
          ]
        : []),
    ],
  };
}
