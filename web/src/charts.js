// charts.js — ECharts, reduced to the chart types and components the pages use (tree-shaken by
// esbuild), plus the bookkeeping every chart needs: one instance per container, disposed when
// the page changes, resized with the window, and a record of how many data points each chart
// drew in window.__patron.charts (what the browser test reads to prove a chart is not empty).
// Every chart also gets an aria-label: the figures themselves are in a table beside it.
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, ScatterChart, TreemapChart } from 'echarts/charts';
import {
  GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, TitleComponent, AriaComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, HeatmapChart, LineChart, ScatterChart, TreemapChart, GridComponent, LegendComponent,
  TooltipComponent, VisualMapComponent, TitleComponent, AriaComponent, CanvasRenderer]);

const live = new Set();
globalThis.__patron = globalThis.__patron || { charts: {} };

// A colour-blind-safe palette (Okabe–Ito) with enough contrast on white.
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

// The number of data points and the sum of their values (the last coordinate of an array
// value, e.g. the count of a heat-map cell): what the browser test checks against the API.
function points(option) {
  let n = 0;
  let sum = 0;
  for (const s of [].concat(option.series || [])) {
    for (const d of s.data || []) {
      const v = d !== null && typeof d === 'object' && !Array.isArray(d) ? d.value : d;
      const x = Array.isArray(v) ? v[v.length - 1] : v;
      if (typeof x === 'number' && Number.isFinite(x)) {
        n += 1;
        sum += x;
      }
    }
  }
  return { n, sum };
}

/** Draws option into el (a div with an id); returns the instance. */
export function chart(el, option, label) {
  const c = echarts.init(el, null, { renderer: 'canvas' });
  c.setOption({ color: PALETTE, aria: { enabled: true }, animation: false, ...option });
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', label);
  const p = points(option);
  el.dataset.points = String(p.n);
  globalThis.__patron.charts[el.id] = p;
  live.add(c);
  return c;
}

export function disposeAll() {
  for (const c of live) c.dispose();
  live.clear();
  globalThis.__patron.charts = {};
}

addEventListener('resize', () => { for (const c of live) c.resize(); });
