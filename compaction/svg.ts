/**
 * Draw a simulation history as an animated SVG: layers are rectangles on key (x) × LSN (y) axes,
 * with coordinates compressed to the distinct layer boundaries (so thin layers stay visible),
 * appearing and disappearing over time through SMIL `<set>` / `<animate>`, coloured by kind.
 * Several panels (one per algorithm) share one clock, synchronised on L0 flushes.
 */
import type { HistoryEvent, LayerRecord } from './simulator';

export interface SvgPanel {
  readonly title: string;
  readonly subtitle?: string;
  readonly layers: readonly LayerRecord[];
  readonly history: readonly HistoryEvent[];
}

const COLORS = {
  flush: { fill: '#9ecae1', stroke: '#2b5d8a' },
  delta: { fill: '#3182bd', stroke: '#08306b' },
  image: { fill: '#fd8d3c', stroke: '#7f2704' },
} as const;

const PANEL_W = 560;
const PANEL_H = 640;
const MARGIN = { left: 40, right: 20, top: 70, bottom: 60 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f = (n: number) => (Math.round(n * 100) / 100).toString();

/** Index of every distinct value, in ascending order. */
function compress(values: Iterable<number>): Map<number, number> {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  return new Map(sorted.map((v, i) => [v, i]));
}

interface Timed {
  created: number;
  deleted: number | undefined;
}

/** Event times (in steps): flush `s` at `s`; the compaction events after it spread over `(s, s+1)`. */
function eventTimes(history: readonly HistoryEvent[]): Map<number, Timed> {
  const byStep = new Map<number, number>();
  for (const e of history) if (e.op !== 'flush') byStep.set(e.step, (byStep.get(e.step) ?? 0) + 1);
  const seen = new Map<number, number>();
  const out = new Map<number, Timed>();
  for (const e of history) {
    let t: number;
    if (e.op === 'flush') t = e.step;
    else {
      const k = seen.get(e.step) ?? 0;
      seen.set(e.step, k + 1);
      t = e.step + (k + 1) / ((byStep.get(e.step) ?? 0) + 1);
    }
    if (e.op === 'delete') {
      const rec = out.get(e.layer);
      if (rec) rec.deleted = t;
    } else out.set(e.layer, { created: t, deleted: undefined });
  }
  return out;
}

export function renderSvg(panels: readonly SvgPanel[]): string {
  let maxStep = 1;
  for (const p of panels) for (const e of p.history) maxStep = Math.max(maxStep, e.step);
  const steps = maxStep + 1;
  const secPerStep = Math.min(0.4, 30 / steps);
  const duration = steps * secPerStep;
  const width = PANEL_W * panels.length;
  const height = PANEL_H;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" data-duration="${f(duration)}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  panels.forEach((panel, i) => {
    out.push(`<g transform="translate(${i * PANEL_W},0)">`);
    out.push(...renderPanel(panel, secPerStep));
    out.push('</g>');
  });
  // Progress bar along the bottom, driven by the same clock.
  out.push(`<rect x="0" y="${height - 6}" width="0" height="6" fill="#555">`);
  out.push(
    `<animate attributeName="width" from="0" to="${width}" begin="0s" dur="${f(duration)}s" fill="freeze"/>`,
  );
  out.push('</rect>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function renderPanel(panel: SvgPanel, secPerStep: number): string[] {
  const times = eventTimes(panel.history);
  const layers = panel.layers.filter((l) => times.has(l.seq));
  const xs = compress(layers.flatMap((l) => [l.keyRange.start, l.keyRange.end]));
  // An image at LSN L gets a row of its own between the deltas ending at L and those starting
  // there: on the LSN axis a delta ending at e sits at 3e, one starting at s at 3s (or 3s + 1 when
  // an image sits at s), and an image at L spans 3L..3L + 1.
  const imageLsns = new Set(layers.filter((l) => l.kind === 'image').map((l) => l.lsnRange.start));
  const yBottom = (l: LayerRecord) =>
    l.kind === 'image'
      ? 3 * l.lsnRange.start
      : 3 * l.lsnRange.start + (imageLsns.has(l.lsnRange.start) ? 1 : 0);
  const yTop = (l: LayerRecord) => (l.kind === 'image' ? 3 * l.lsnRange.start + 1 : 3 * l.lsnRange.end);
  const ys = compress(layers.flatMap((l) => [yBottom(l), yTop(l)]));
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const xOf = (k: number) => MARGIN.left + (w * (xs.get(k) ?? 0)) / Math.max(1, xs.size - 1);
  const yOf = (l: number) => MARGIN.top + h - (h * (ys.get(l) ?? 0)) / Math.max(1, ys.size - 1);

  const out: string[] = [];
  out.push(`<text x="${MARGIN.left}" y="22" font-size="16" font-weight="bold">${esc(panel.title)}</text>`);
  if (panel.subtitle) out.push(`<text x="${MARGIN.left}" y="40" fill="#444">${esc(panel.subtitle)}</text>`);
  // Legend.
  const legend: [string, { fill: string; stroke: string }][] = [
    ['L0 delta (flush)', COLORS.flush],
    ['delta (compaction)', COLORS.delta],
    ['image', COLORS.image],
  ];
  legend.forEach(([label, c], i) => {
    const x = MARGIN.left + i * 160;
    out.push(`<rect x="${x}" y="48" width="12" height="12" fill="${c.fill}" stroke="${c.stroke}"/>`);
    out.push(`<text x="${x + 16}" y="58">${label}</text>`);
  });
  // Axes.
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${w}" height="${h}" fill="#f7f7f7" stroke="#999" stroke-width="0.5"/>`,
  );
  out.push(
    `<text x="${MARGIN.left + w / 2}" y="${MARGIN.top + h + 22}" text-anchor="middle">key (compressed) →</text>`,
  );
  out.push(
    `<text x="${MARGIN.left - 12}" y="${MARGIN.top + h / 2}" text-anchor="middle" transform="rotate(-90 ${MARGIN.left - 12} ${MARGIN.top + h / 2})">LSN (compressed) →</text>`,
  );

  for (const l of layers) {
    const t = times.get(l.seq)!;
    const x0 = xOf(l.keyRange.start);
    const x1 = xOf(l.keyRange.end);
    const y0 = yOf(yTop(l));
    const y1 = yOf(yBottom(l));
    const c = l.kind === 'image' ? COLORS.image : l.origin === 'flush' ? COLORS.flush : COLORS.delta;
    const begin = f(t.created * secPerStep);
    out.push(
      `<rect x="${f(x0)}" y="${f(y0)}" width="${f(Math.max(0.5, x1 - x0))}" height="${f(Math.max(l.kind === 'image' ? 2 : 0.5, y1 - y0))}" fill="${c.fill}" stroke="${c.stroke}" stroke-width="0.5" visibility="hidden">`,
    );
    out.push(`<title>${esc(`${l.id} (${l.fileSize} bytes)`)}</title>`);
    out.push(`<set attributeName="visibility" to="visible" begin="${begin}s" fill="freeze"/>`);
    out.push(
      `<animate attributeName="fill-opacity" from="0.2" to="1" begin="${begin}s" dur="${f(secPerStep)}s" fill="freeze"/>`,
    );
    if (t.deleted !== undefined) {
      out.push(
        `<set attributeName="visibility" to="hidden" begin="${f(t.deleted * secPerStep)}s" fill="freeze"/>`,
      );
    }
    out.push('</rect>');
  }
  return out;
}
