/**
 * What every benchmark shares: the --smoke switch (tiny sizes, one run: proves the bench still
 * runs to the end, its figures mean nothing) and the figures it reports. Each figure is printed
 * as a `BENCH_FIGURE {json}` line, which scripts/bench.ts collects into one table and
 * bench/results/latest.json.
 */
export const SMOKE = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';

/** The app is already built (scripts/bench.ts builds once for all benches). */
export const PREBUILT = process.argv.includes('--no-build') || process.env.BENCH_PREBUILT === '1';

export interface Figure {
	/** Short and stable: the key in latest.json. */
	name: string;
	unit: string;
	/** One value per run. */
	runs: number[];
	/** What it means, how it was measured, in a few words. */
	note?: string;
}

export interface Summary {
	runs: number;
	median: number;
	min: number;
	max: number;
}

export function summarise(values: number[]): Summary {
	const sorted = [...values].filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
	const middle = sorted.length / 2;
	const median = sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
	return { runs: sorted.length, median, min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN };
}

export function figure(entry: Figure): void {
	console.log(`BENCH_FIGURE ${JSON.stringify(entry)}`);
}

/** A figure that could not be measured here, with the reason (shown in the table). */
export function notRun(name: string, reason: string): void {
	console.log(`BENCH_FIGURE ${JSON.stringify({ name, unit: '', runs: [], note: `not run: ${reason}` })}`);
}

/** Value for an argument `--name value`, or the fallback (the smoke fallback under --smoke). */
export function numberArg(name: string, fallback: number, smokeFallback = fallback): number {
	const i = process.argv.indexOf(`--${name}`);
	return i >= 0 ? Number(process.argv[i + 1]) : SMOKE ? smokeFallback : fallback;
}
