/**
 * Fragment sizing for Graph upload sessions (onedrive-graph.md §8.2): every fragment but the
 * last is a multiple of 320 KiB and under 60 MiB. Sizes start at 10 MiB and follow measured
 * throughput so that one fragment takes a few seconds: big enough that the pause between
 * fragments does not idle a fast link, small enough that a failure on a slow one costs little
 * and progress moves often. Errors halve the size.
 */
export const FRAGMENT_UNIT = 327_680;
export const MIN_FRAGMENT_SIZE = 16 * FRAGMENT_UNIT; // 5 MiB
export const START_FRAGMENT_SIZE = 32 * FRAGMENT_UNIT; // 10 MiB
/** 191 × 320 KiB = 62,586,880 bytes, the largest compliant size below 60 MiB (62,914,560). */
export const MAX_FRAGMENT_SIZE = 191 * FRAGMENT_UNIT;
export const TARGET_FRAGMENT_MS = 4_000;
/** Weight of the newest throughput sample; smooths one lucky or unlucky fragment. */
const SMOOTHING = 0.5;

export interface FragmentPlanState {
	/** Length of the next non-final fragment: a multiple of FRAGMENT_UNIT within the limits. */
	size: number;
	/** Smoothed throughput of acknowledged fragments, null until one was measured. */
	bytesPerSecond: number | null;
}

export function initialPlan(): FragmentPlanState {
	return { size: START_FRAGMENT_SIZE, bytesPerSecond: null };
}

export function clampFragmentSize(bytes: number): number {
	const aligned = Math.floor(bytes / FRAGMENT_UNIT) * FRAGMENT_UNIT;
	return Math.min(MAX_FRAGMENT_SIZE, Math.max(MIN_FRAGMENT_SIZE, aligned));
}

/** Learns from a fragment of `bytes` acknowledged `elapsedMs` after it started. */
export function recordFragmentSuccess(plan: FragmentPlanState, bytes: number, elapsedMs: number): FragmentPlanState {
	if (bytes <= 0) return plan;
	// A fragment acknowledged "instantly" still took some time; 1 ms keeps the arithmetic finite.
	const sample = (bytes * 1000) / Math.max(1, elapsedMs);
	const bytesPerSecond = plan.bytesPerSecond === null ? sample : plan.bytesPerSecond * (1 - SMOOTHING) + sample * SMOOTHING;
	const wanted = (bytesPerSecond * TARGET_FRAGMENT_MS) / 1000;
	// At most double or halve per step, so a single odd measurement cannot swing it end to end.
	const bounded = Math.min(plan.size * 2, Math.max(plan.size / 2, wanted));
	return { size: clampFragmentSize(bounded), bytesPerSecond };
}

export function recordFragmentFailure(plan: FragmentPlanState): FragmentPlanState {
	return { ...plan, size: clampFragmentSize(plan.size / 2) };
}

/** End (exclusive) of the fragment that starts at `start` in a file of `total` bytes. */
export function fragmentEnd(plan: FragmentPlanState, start: number, total: number): number {
	const size = clampFragmentSize(plan.size);
	return total - start <= size ? total : start + size;
}

/** Expected time to send `bytes`, or null before any measurement. */
export function estimateFragmentMs(plan: FragmentPlanState, bytes: number): number | null {
	return plan.bytesPerSecond ? (bytes * 1000) / plan.bytesPerSecond : null;
}
