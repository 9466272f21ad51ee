import { describe, expect, it } from 'vitest';
import { PUMP_LOCK, PUMP_WATCH_GRACE_MS, PumpWatch } from './pump-watch';

function world() {
	const w = {
		t: 1_000,
		held: [] as string[],
		asks: 0,
		queries: 0,
		watch: undefined as unknown as PumpWatch
	};
	w.watch = new PumpWatch({
		locks: {
			query: async () => {
				w.queries++;
				return { held: w.held.map((name) => ({ name })) };
			}
		},
		now: () => w.t,
		askAgain: () => w.asks++
	});
	return w;
}

describe('a worker that died mid-run is woken by the page', () => {
	it('asks again once the run is unanswered past the grace and nobody holds the run lock', async () => {
		const w = world();
		w.watch.asked();
		w.held = [PUMP_LOCK];
		w.t += PUMP_WATCH_GRACE_MS + 1;
		expect(await w.watch.check()).toBe(false);
		// The browser stopped the worker: its lock went with it.
		w.held = ['reeldrive-job:v1-of-some-other-context'];
		expect(await w.watch.check()).toBe(true);
		expect(w.asks).toBe(1);
		// The new ask gets its own grace before it is judged again.
		expect(await w.watch.check()).toBe(false);
		w.t += PUMP_WATCH_GRACE_MS;
		expect(await w.watch.check()).toBe(true);
		expect(w.asks).toBe(2);
	});

	it('judges nothing within the grace (a worker still starting) nor once the run was answered', async () => {
		const w = world();
		expect(await w.watch.check()).toBe(false);
		w.watch.asked();
		w.t += PUMP_WATCH_GRACE_MS - 1;
		expect(await w.watch.check()).toBe(false);
		expect(w.queries).toBe(0);
		w.watch.answered();
		w.t += 60_000;
		expect(await w.watch.check()).toBe(false);
		expect(w.asks).toBe(0);
	});

	it('a later ask while one waits keeps the first time: a run asked for again and again is still judged', async () => {
		const w = world();
		w.watch.asked();
		w.t += PUMP_WATCH_GRACE_MS;
		w.watch.asked();
		expect(await w.watch.check()).toBe(true);
	});

	it('an answer that arrives while the locks are looked at wins: no second ask', async () => {
		const w = world();
		const watch = new PumpWatch({
			locks: {
				query: async () => {
					watch.answered();
					return { held: [] };
				}
			},
			now: () => w.t,
			askAgain: () => w.asks++
		});
		watch.asked();
		w.t += PUMP_WATCH_GRACE_MS;
		expect(await watch.check()).toBe(false);
		expect(w.asks).toBe(0);
	});

	it('without Web Locks, or when the query fails, it does nothing', async () => {
		const none = new PumpWatch({ locks: null, now: () => 10_000, askAgain: () => expect.unreachable() });
		none.asked();
		expect(await none.check()).toBe(false);
		let t = 0;
		const broken = new PumpWatch({ locks: { query: () => Promise.reject(new Error('SecurityError')) }, now: () => t, askAgain: () => expect.unreachable() });
		broken.asked();
		t = 10_000;
		expect(await broken.check()).toBe(false);
	});
});
