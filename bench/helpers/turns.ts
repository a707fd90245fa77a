/**
 * Servers taking turns on one machine (bench:server): every side measures once per round, the order
 * rotating from round to round, and each round gives ratios between sides measured seconds apart,
 * so a drift of the machine's speed reaches both sides of a ratio alike. Verdicts are the median
 * of the rounds' ratios, shown with their middle half.
 */
import { median } from './median.js';

/** Runs `rounds` rounds of one `measure` per side; returns each side's measurements, by round. */
export async function takeTurns<W>(sides: number, rounds: number, measure: (side: number, round: number) => Promise<W>): Promise<W[][]> {
  const windows = Array.from({ length: sides }, () => [] as W[]);
  for (let round = 0; round < rounds; round += 1) {
    for (let turn = 0; turn < sides; turn += 1) {
      const side = (turn + round) % sides;
      windows[side]?.push(await measure(side, round));
    }
  }
  return windows;
}

/** Each round's ratio of `side`'s figure to side 0's (the baseline). */
export function roundRatios<W>(windows: W[][], side: number, figure: (w: W) => number): number[] {
  const baseline = windows[0] as W[];
  return (windows[side] as W[]).map((w, round) => figure(w) / figure(baseline[round] as W));
}

/** `1.04× (middle half of the rounds 1.02–1.05×)`. */
export function ratioSpread(ratios: readonly number[]): string {
  const sorted = [...ratios].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return `${median(ratios).toFixed(2)}× (middle half of the rounds ${at(0.25).toFixed(2)}–${at(0.75).toFixed(2)}×)`;
}
