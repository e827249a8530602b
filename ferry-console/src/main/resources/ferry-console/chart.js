// The apply-lag chart: an SVG line over the samples of an execution's lagHistory, with its axes labelled and a
// text summary for screen readers. No library: a polyline, a few ticks and one circle per sample.

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 720;
const HEIGHT = 220;
const LEFT = 64;
const RIGHT = 16;
const TOP = 12;
const BOTTOM = 36;

function svg(tag, attributes, text) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes || {})) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A round step for about `count` ticks over `span`. */
function step(span, count) {
  const raw = span / count;
  const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const factor of [1, 2, 5, 10]) {
    if (raw <= factor * magnitude) return factor * magnitude;
  }
  return 10 * magnitude;
}

function clock(millis) {
  return new Date(millis).toISOString().substring(11, 19);
}

export function formatMillis(millis) {
  return millis >= 10000 ? (millis / 1000).toFixed(1) + ' s' : Math.round(millis).toLocaleString('en-US') + ' ms';
}

/** Draws `samples` ({time, lagMillis}) into a new SVG element; `summary` gets the text version. */
export function lagChart(samples, summary) {
  const chart = svg('svg', {
    id: 'lag-chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-labelledby': 'lag-chart-title lag-chart-description', class: 'chart',
  });
  chart.appendChild(svg('title', { id: 'lag-chart-title' }, 'Apply lag over time'));
  const description = svg('desc', { id: 'lag-chart-description' });
  chart.appendChild(description);
  if (samples.length === 0) {
    const text = 'No lag sampled yet: apply starts after the backfill, and the lag is known once a change has been applied.';
    description.textContent = text;
    summary.textContent = text;
    chart.appendChild(svg('text', { x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle', class: 'chart-empty' }, 'No samples yet'));
    return chart;
  }
  const times = samples.map((sample) => Date.parse(sample.time));
  const lags = samples.map((sample) => sample.lagMillis);
  const start = times[0];
  const end = Math.max(times[times.length - 1], start + 1000);
  const peak = Math.max(...lags);
  const top = Math.max(step(peak || 1, 4) * 4, peak, 10);
  const x = (time) => LEFT + (time - start) / (end - start) * (WIDTH - LEFT - RIGHT);
  const y = (lag) => TOP + (1 - lag / top) * (HEIGHT - TOP - BOTTOM);

  const grid = svg('g', { class: 'chart-grid' });
  const yStep = step(top, 4);
  for (let value = 0; value <= top + 1e-9; value += yStep) {
    grid.appendChild(svg('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y(value), y2: y(value) }));
    grid.appendChild(svg('text', { x: LEFT - 6, y: y(value) + 4, 'text-anchor': 'end' }, formatMillis(value)));
  }
  const xStep = step(end - start, 5);
  for (let time = Math.ceil(start / xStep) * xStep; time <= end; time += xStep) {
    grid.appendChild(svg('text', { x: x(time), y: HEIGHT - BOTTOM + 18, 'text-anchor': 'middle' }, clock(time)));
  }
  grid.appendChild(svg('text', { x: LEFT, y: HEIGHT - 4, class: 'chart-axis-label' }, 'time (UTC)'));
  chart.appendChild(grid);

  const points = samples.map((sample, i) => `${x(times[i]).toFixed(1)},${y(lags[i]).toFixed(1)}`).join(' ');
  chart.appendChild(svg('polyline', { points, class: 'chart-line' }));
  const dots = svg('g', { class: 'chart-points' });
  samples.forEach((sample, i) => {
    const dot = svg('circle', { cx: x(times[i]).toFixed(1), cy: y(lags[i]).toFixed(1), r: samples.length > 120 ? 1.5 : 3, class: 'point' });
    dot.appendChild(svg('title', {}, `${clock(times[i])} UTC: ${formatMillis(lags[i])}`));
    dots.appendChild(dot);
  });
  chart.appendChild(dots);

  const latest = lags[lags.length - 1];
  const text = `${samples.length} samples from ${clock(start)} to ${clock(times[times.length - 1])} UTC; latest lag ${formatMillis(latest)}, peak ${formatMillis(peak)}.`;
  description.textContent = text;
  summary.textContent = text;
  return chart;
}
