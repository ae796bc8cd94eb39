// Successes and failures per hour for the last 24 hours: an SVG bar chart built with DOM APIs,
// with a table holding the same numbers for screen readers and anyone who prefers to read.
import { h, svg } from './dom.js';

// Drawn in CSS pixels at the width it is shown at (one unit is one pixel), so its text keeps its size
// on a phone; WIDTH when that width is not known.
const WIDTH = 1100;
const MIN_WIDTH = 280;
const HEIGHT = 180;
const PAD = { top: 10, right: 8, bottom: 24, left: 32 };
/** Hours between x labels: the smallest of these that leaves each label room (all divide 24, so even). */
const TICK_STEPS = [1, 2, 3, 4, 6, 8, 12];
/** About how wide an axis label of `length` characters is at the axis' 11px. */
const textWidth = (length) => length * 6.5;
/** The space between two labels' texts, at least. */
const LABEL_GAP = 40;

/** Accepts {hours: [...]}, {items: [...]} or a bare array of {hour|start|time, success(es), failure(s)}. */
export function normalizeStats(stats) {
  const list = Array.isArray(stats) ? stats : (stats?.hours ?? stats?.items ?? stats?.buckets ?? []);
  return list.map((bucket) => ({
    hour: bucket.hour ?? bucket.start ?? bucket.time ?? bucket.from,
    success: Number(bucket.success ?? bucket.successes ?? bucket.succeeded ?? 0),
    failure: Number(bucket.failure ?? bucket.failures ?? bucket.failed ?? 0),
  }));
}

function hourLabel(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? String(iso)
    : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function renderChart(stats, shownWidth) {
  const width = shownWidth > 0 ? Math.max(MIN_WIDTH, Math.round(shownWidth)) : WIDTH;
  const hours = normalizeStats(stats);
  const totalSuccess = hours.reduce((sum, bucket) => sum + bucket.success, 0);
  const totalFailure = hours.reduce((sum, bucket) => sum + bucket.failure, 0);
  const summary = `Last 24 hours: ${totalSuccess} successful and ${totalFailure} failed attempts.`;
  // Even, so the middle grid line falls on a whole number.
  const highest = Math.max(1, ...hours.map((bucket) => bucket.success + bucket.failure));
  const max = highest === 1 ? 1 : highest + (highest % 2);
  const plotWidth = width - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / Math.max(1, hours.length);
  const barWidth = Math.max(2, slot * 0.7);
  const y = (value) => PAD.top + plotHeight - (value / max) * plotHeight;
  const labels = hours.map((bucket) => hourLabel(bucket.hour));
  const room = textWidth(Math.max(0, ...labels.map((label) => label.length))) + LABEL_GAP;
  const step = TICK_STEPS.find((hoursApart) => hoursApart * slot >= room) ?? hours.length;

  const chart = svg('svg', {
    class: 'chart',
    viewBox: `0 0 ${width} ${HEIGHT}`,
    role: 'img',
    'aria-label': summary,
  });
  for (const value of new Set([0, Math.ceil(max / 2), max])) {
    chart.append(
      svg('line', { class: 'chart-grid', x1: PAD.left, x2: width - PAD.right, y1: y(value), y2: y(value) }),
      svg(
        'text',
        { class: 'chart-axis', x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end' },
        String(value),
      ),
    );
  }
  hours.forEach((bucket, index) => {
    const x = PAD.left + index * slot + (slot - barWidth) / 2;
    const group = svg(
      'g',
      null,
      svg('title', null, `${labels[index]}: ${bucket.success} ok, ${bucket.failure} failed`),
    );
    if (bucket.success > 0) {
      group.append(
        svg('rect', {
          class: 'bar-success',
          x,
          width: barWidth,
          y: y(bucket.success),
          height: y(0) - y(bucket.success),
        }),
      );
    }
    if (bucket.failure > 0) {
      const top = y(bucket.success + bucket.failure);
      group.append(
        svg('rect', { class: 'bar-failure', x, width: barWidth, y: top, height: y(bucket.success) - top }),
      );
    }
    // Every `step` hours counted back from the newest, so the current hour is labelled and the gaps are equal.
    if ((hours.length - 1 - index) % step === 0) {
      // Centred under its bar, unless that would cut it at an edge of the picture.
      const centre = x + barWidth / 2;
      const half = textWidth(labels[index].length) / 2;
      const [at, anchor] =
        centre + half > width ? [width - 1, 'end'] : centre - half < 0 ? [1, 'start'] : [centre, 'middle'];
      group.append(
        svg('text', { class: 'chart-axis', x: at, y: HEIGHT - 6, 'text-anchor': anchor }, labels[index]),
      );
    }
    chart.append(group);
  });

  const table = h(
    'table',
    { class: 'table table-compact' },
    h('caption', null, 'Attempts per hour'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'Hour'),
        h('th', { scope: 'col' }, 'Succeeded'),
        h('th', { scope: 'col' }, 'Failed'),
      ),
    ),
    h(
      'tbody',
      null,
      ...hours.map((bucket) =>
        h(
          'tr',
          null,
          h('th', { scope: 'row' }, hourLabel(bucket.hour)),
          h('td', null, String(bucket.success)),
          h('td', null, String(bucket.failure)),
        ),
      ),
    ),
  );
  return h(
    'figure',
    { class: 'chart-figure' },
    chart,
    h(
      'figcaption',
      { class: 'chart-legend' },
      h('span', { class: 'legend legend-success' }, `${totalSuccess} succeeded`),
      h('span', { class: 'legend legend-failure' }, `${totalFailure} failed`),
      h('span', { class: 'muted' }, 'per hour, last 24 h'),
    ),
    h('details', { class: 'chart-table' }, h('summary', null, 'Show as a table'), table),
  );
}
