/** Numbers for people, in a metric's unit: `312.4ms`, `256.0 MiB`, `45.2%`, `18,233`. */
import type { MetricUnit } from './types.js';

/** A whole count with thousands separators: `18,233`. */
export function formatCount(count: number): string {
  return Math.round(count).toLocaleString('en-US');
}

/** A plain number with at most `digits` decimals and no trailing zeros: `312.4`, `0.9983`. */
export function formatNumber(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const decimals = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : digits;
  return Number(value.toFixed(decimals)).toLocaleString('en-US', { maximumFractionDigits: decimals });
}

/** A value in its unit, e.g. `312.4ms`, `0.012s`, `45.2%`, `268,435,456 B (256.0 MiB)`, `0.9983`. */
export function formatValue(value: number, unit: MetricUnit): string {
  switch (unit) {
    case 'ms':
      return `${formatNumber(value)}ms`;
    case 'seconds':
      return `${formatNumber(value)}s`;
    case 'percent':
      return `${formatNumber(value)}%`;
    case 'bytes':
      return Math.abs(value) >= 1024 ? `${formatCount(value)} B (${formatBytes(value)})` : `${formatCount(value)} B`;
    case 'count':
    case 'ratio':
    case 'none':
      return formatNumber(value);
  }
}

/** Bytes in binary units: `256.0 MiB`. */
function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
