// Charts (uPlot) that fit their container, follow the colour scheme, and export exactly
// the points they draw as CSV / JSON. Time charts take Unix seconds on x; `bands` tints
// the good / needs-improvement / poor ranges of a vital behind the lines; `bars` draws a
// histogram whose x values are bucket lower bounds; `stacked` stacks the series.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import { h } from './dom';
import { formatTime } from './format';
import { exportButtons } from './table';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

export interface ChartSpec {
  name: string; // export file stem
  title: string; // accessible name (aria-label)
  x: number[]; // Unix seconds, or bucket bounds when `bars`
  series: ChartSeries[];
  yFormat?: (v: number) => string;
  xFormat?: (v: number) => string; // for bars and export; time charts show dates
  yLabel?: string;
  bands?: { good: number; poor: number };
  markers?: { x: number; label: string }[]; // vertical lines (thresholds on a histogram)
  bars?: boolean;
  stacked?: boolean;
  yIntegers?: boolean; // counts: no fractional ticks
  height?: number;
}

const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#dc2626', '#65a30d', '#9333ea', '#ea580c'];

function css(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

export class Chart {
  readonly el: HTMLElement;
  private plot: uPlot | null = null;
  private readonly box: HTMLElement;
  private spec: ChartSpec;
  private readonly resize: ResizeObserver;

  constructor(spec: ChartSpec) {
    this.spec = spec;
    this.box = h('div', { class: 'chart', role: 'img', 'aria-label': spec.title });
    const exp = exportButtons(spec.name, () => this.exportData());
    this.el = h('figure', { class: 'chart-wrap' }, h('div', { class: 'table-tools' }, exp), this.box);
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(this.box);
  }

  /** Draws `spec` (replacing what was drawn). */
  update(spec: ChartSpec): void {
    this.spec = spec;
    this.plot?.destroy();
    this.plot = null;
    this.box.setAttribute('aria-label', spec.title);
    this.draw();
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  private width(): number {
    return Math.max(240, Math.floor(this.box.clientWidth || this.box.parentElement?.clientWidth || 600));
  }

  private fit(): void {
    if (!this.plot) return this.draw();
    const w = this.width();
    if (Math.abs(w - this.plot.width) > 2) this.plot.setSize({ width: w, height: this.spec.height ?? 260 });
  }

  private draw(): void {
    if (!this.box.isConnected && !this.box.parentElement) return;
    const s = this.spec;
    const axis = css('--muted', '#555');
    const grid = css('--grid', 'rgba(128,128,128,0.2)');
    let data: (number | null)[][] = s.series.map((x) => x.values);
    if (s.stacked) {
      const acc = new Array<number>(s.x.length).fill(0);
      data = data.map((vals) => vals.map((v, i) => (acc[i] += v ?? 0)));
    }
    const yFmt = s.yFormat ?? ((v: number) => String(v));
    const xFmt = s.xFormat;
    const opts: uPlot.Options = {
      width: this.width(),
      height: s.height ?? 260,
      scales: { x: { time: !s.bars }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.05 : 1] } },
      legend: { live: true },
      cursor: { drag: { x: !s.bars, y: false } },
      axes: [
        { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid }, values: xFmt ? (_u, vals) => vals.map((v) => xFmt(v)) : undefined },
        { stroke: axis, grid: { stroke: grid }, ticks: { stroke: grid }, size: 70, label: s.yLabel, values: (_u, vals) => vals.map((v) => yFmt(v)),
          incrs: s.yIntegers ? [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7] : undefined },
      ],
      series: [
        { label: s.bars ? 'bucket' : 'time', value: (_u, v) => (v === null ? '–' : xFmt ? xFmt(v) : formatTime(v)) },
        ...s.series.map((x, i) => ({
          label: x.label,
          stroke: seriesColor(i),
          width: 2,
          fill: s.bars || s.stacked ? seriesColor(i) + (s.bars ? 'cc' : '55') : undefined,
          points: { show: !s.bars && s.x.length < 60 },
          spanGaps: false,
          paths: s.bars ? uPlot.paths.bars!({ size: [0.92, Infinity], align: 1 }) : undefined,
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : yFmt(v)),
        })),
      ],
      bands: s.stacked ? s.series.slice(1).map((_x, i) => ({ series: [i + 2, i + 1] as [number, number] })) : undefined,
      hooks: { drawClear: [(u) => this.drawBands(u)], draw: [(u) => this.drawMarkers(u)] },
    };
    this.plot = new uPlot(opts, [s.x, ...data] as uPlot.AlignedData, this.box);
  }

  private drawBands(u: uPlot): void {
    const b = this.spec.bands;
    if (!b) return;
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const y = (v: number) => Math.min(top + height, Math.max(top, u.valToPos(v, 'y', true)));
    const zones: [number, number, string][] = [
      [0, b.good, css('--good-bg', 'rgba(16,185,129,0.12)')],
      [b.good, b.poor, css('--ni-bg', 'rgba(245,158,11,0.12)')],
      [b.poor, Number.MAX_VALUE, css('--poor-bg', 'rgba(239,68,68,0.12)')],
    ];
    ctx.save();
    for (const [lo, hi, colour] of zones) {
      const y0 = y(lo);
      const y1 = hi === Number.MAX_VALUE ? top : y(hi);
      if (y0 - y1 <= 0) continue;
      ctx.fillStyle = colour;
      ctx.fillRect(left, y1, width, y0 - y1);
    }
    ctx.restore();
  }

  private drawMarkers(u: uPlot): void {
    const m = this.spec.markers;
    if (!m) return;
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.strokeStyle = css('--fg', '#111');
    ctx.fillStyle = css('--fg', '#111');
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
    m.forEach(({ x, label }, i) => {
      const px = u.valToPos(x, 'x', true);
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, top + height);
      ctx.stroke();
      // Labels one below the other, so that close markers stay readable.
      ctx.fillText(label, px + 4 * devicePixelRatio, top + (14 + 16 * i) * devicePixelRatio);
    });
    ctx.restore();
  }

  private exportData(): { header: string[]; rows: string[][]; json: unknown } {
    const s = this.spec;
    const xName = s.bars ? 'bucket' : 'time';
    const header = [xName, ...s.series.map((x) => x.label)];
    const xText = (v: number) => (s.bars ? String(v) : new Date(v * 1000).toISOString());
    const rows = s.x.map((xv, i) => [xText(xv), ...s.series.map((x) => (x.values[i] === null || x.values[i] === undefined ? '' : String(x.values[i])))]);
    const json = {
      x: s.bars ? 'bucket lower bound' : 'Unix seconds',
      series: s.series.map((x) => ({ label: x.label, points: s.x.map((xv, i) => [xv, x.values[i] ?? null]).filter((p) => p[1] !== null) })),
    };
    return { header, rows, json };
  }
}

/** A small inline SVG trend line (no axes) for tables and cards. */
export function sparkline(values: number[], label: string, width = 96, height = 24): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  if (values.length > 1) {
    const min = Math.min(...values);
    const max = Math.max(...values);
    const span = max - min || 1;
    const pts = values.map((v, i) => `${((i / (values.length - 1)) * (width - 2) + 1).toFixed(1)},${(height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)}`);
    const path = document.createElementNS(ns, 'polyline');
    path.setAttribute('points', pts.join(' '));
    path.setAttribute('fill', 'none');
    path.setAttribute('stroke', 'currentColor');
    path.setAttribute('stroke-width', '1.5');
    svg.appendChild(path);
  }
  return svg;
}
