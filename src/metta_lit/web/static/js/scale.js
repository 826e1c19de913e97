// Colour scales for the dashboard: numbers that span orders of magnitude stay readable.

// A scorecard cell's colour, per simulation (column): a diverging symmetric-log scale around the
// baseline policy's score there (green above it, red below, grey at it), so a policy twice as
// good as random stays visibly apart from random even beside a scripted policy scoring 20x more.
// Without a baseline score in the column, the column's own min..max, red to green. `null` is a
// cell that was never evaluated: no colour (the table shows "–"), never a score of 0.
export function cellColor(value, column, baseline) {
  if (value === null) return "transparent";
  const known = column.filter((v) => v !== null);
  if (baseline === null || baseline === undefined) {
    const lo = Math.min(...known);
    const hi = Math.max(...known);
    const t = hi > lo ? (value - lo) / (hi - lo) : 0.5;
    return `hsl(${Math.round(t * 120)}, 65%, 35%)`;
  }
  const t = symlog(value - baseline, Math.max(...known.map((v) => Math.abs(v - baseline))));
  if (t === 0) return "hsl(0, 0%, 35%)";
  return `hsl(${t > 0 ? 120 : 0}, ${Math.round(20 + 50 * Math.abs(t))}%, ${Math.round(35 - 10 * Math.abs(t))}%)`;
}

// sign(d) * log(1 + |d| / e) / log(1 + m / e) with e = m / 100: in [-1, 1], linear near 0 and
// logarithmic beyond e, so the largest difference of the column (m) is 1 and one 20x smaller
// still reads about 0.4.
export function symlog(difference, largest) {
  if (!(largest > 0)) return 0;
  const e = largest / 100;
  return (Math.sign(difference) * Math.log1p(Math.abs(difference) / e)) / Math.log1p(largest / e);
}

// Axis tick labels with SI suffixes (1.5M, 250k, 0.02): long step counts never overlap.
export function si(value) {
  const size = Math.abs(value);
  for (const [unit, scale] of [["G", 1e9], ["M", 1e6], ["k", 1e3]]) {
    if (size >= scale) return `${+(value / scale).toPrecision(3)}${unit}`;
  }
  return `${+value.toPrecision(3)}`;
}
