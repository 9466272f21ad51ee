import type { Clock, Random } from '$lib/upload';

export const systemClock: Clock = {
	now: () => Date.now(),
	sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
};

export const mathRandom: Random = { next: () => Math.random() };
