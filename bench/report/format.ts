// Number formatting shared by the console table, the Markdown snippet and the chart.

/** Three significant digits with k/M suffixes: 144k, 2.03M, 620, 6.31. */
export function compact(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toPrecision(3)}k`;
  if (abs >= 100) return value.toFixed(0);
  return value.toPrecision(3);
}

export function ratio(value: number | undefined): string {
  return value === undefined ? '' : `${value.toFixed(2)}×`;
}

export function percent(value: number | undefined): string {
  return value === undefined ? '' : `${value.toFixed(0)}%`;
}
