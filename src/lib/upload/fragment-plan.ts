/**
 * Fragment sizing for Graph upload sessions (onedrive-graph.md §8.2): every fragment but the
 * last is a multiple of 320 KiB and under 60 MiB. Sizes start at 10 MiB and follow measured
 * throughput so that one fragment takes a few seconds: big enough that the pause between
 * fragments does not idle a fast link, small enough that a failure on a slow one costs little
 * and progress moves often. Errors halve the size; a timeout sizes the next fragment to the
 * speed it proved the link cannot beat. Each request's timeout follows the measured speed.
 */
export const FRAGMENT_UNIT = 327_680;
/** As small as the protocol allows, so a weak phone signal still finishes fragments. */
export const MIN_FRAGMENT_SIZE = FRAGMENT_UNIT; // 320 KiB
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
	/** Fragments measured so far (absent in states saved before it existed). */
	samples?: number;
}

/** A request whose speed is not known yet may take this long (10 MiB at about 0.7 Mbit/s). */
export const UNKNOWN_RATE_TIMEOUT_MS = 120_000;
export const MIN_TIMEOUT_MS = 30_000;
export const MAX_TIMEOUT_MS = 15 * 60_000;

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
	return { size: clampFragmentSize(bounded), bytesPerSecond, samples: (plan.samples ?? 0) + 1 };
}

export function recordFragmentFailure(plan: FragmentPlanState): FragmentPlanState {
	return { ...plan, size: clampFragmentSize(plan.size / 2) };
}

/**
 * `bytes` were not acknowledged within `elapsedMs`: the link is slower than bytes/elapsed, so
 * the next fragment is sized for that speed at most (and never above half of this one).
 */
export function recordFragmentTimeout(plan: FragmentPlanState, bytes: number, elapsedMs: number): FragmentPlanState {
	const bound = (bytes * 1000) / Math.max(1, elapsedMs);
	const bytesPerSecond = plan.bytesPerSecond === null ? bound : Math.min(plan.bytesPerSecond, bound);
	const wanted = Math.min(bytes / 2, (bytesPerSecond * TARGET_FRAGMENT_MS) / 1000);
	return { ...plan, size: clampFragmentSize(wanted), bytesPerSecond };
}

/** How long to wait for `bytes` before calling it a timeout: a few times the expected time. */
export function requestTimeoutMs(plan: FragmentPlanState, bytes: number): number {
	const expected = estimateFragmentMs(plan, bytes);
	if (expected === null) return UNKNOWN_RATE_TIMEOUT_MS;
	return Math.min(MAX_TIMEOUT_MS, Math.max(MIN_TIMEOUT_MS, 4 * expected));
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
