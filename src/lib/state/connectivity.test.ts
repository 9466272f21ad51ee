import { describe, expect, it, vi } from 'vitest';
import { ConnectivityManager } from './connectivity.svelte';

function fakeWindow(onLine: boolean) {
	const listeners = new Map<string, () => void>();
	return {
		target: { navigator: { onLine }, addEventListener: (type: string, listener: () => void) => listeners.set(type, listener) } as unknown as Window,
		fire: (type: 'online' | 'offline') => listeners.get(type)?.()
	};
}

describe('ConnectivityManager', () => {
	it('a request failing for want of a network means offline, even while the browser says online', async () => {
		const c = new ConnectivityManager();
		c.start(fakeWindow(true).target);
		expect(c.online).toBe(true);
		let finish: (value: string) => void = () => {};
		const pending = c.whileOnline(new Promise<string>((resolve) => (finish = resolve)));
		c.reportUnreachable();
		expect(c.online).toBe(false);
		// whatever was waiting on the network gives up at once (callers fall back to their saved copy)
		await expect(pending).rejects.toMatchObject({ code: 'network-unreachable' });
		finish('late');
		await expect(c.whileOnline(Promise.resolve('x'))).rejects.toMatchObject({ code: 'network-unreachable' });
		c.reportReachable();
		expect(c.online).toBe(true);
		await expect(c.whileOnline(Promise.resolve('x'))).resolves.toBe('x');
	});

	it('follows the browser’s online and offline events, and an online event clears a failed request', () => {
		const c = new ConnectivityManager();
		const w = fakeWindow(false);
		c.start(w.target);
		expect(c.online).toBe(false);
		w.fire('online');
		expect(c.online).toBe(true);
		c.reportUnreachable();
		expect(c.online).toBe(false);
		w.fire('online');
		expect(c.online).toBe(true);
	});

	it('while unreachable, probes until the servers answer again', async () => {
		vi.useFakeTimers();
		try {
			const c = new ConnectivityManager();
			c.start(fakeWindow(true).target);
			const answers = [false, true];
			c.useProbe(async () => answers.shift() ?? true);
			c.reportUnreachable();
			await vi.advanceTimersByTimeAsync(5_000);
			expect(c.online).toBe(false);
			await vi.advanceTimersByTimeAsync(5_000);
			expect(c.online).toBe(true);
		} finally {
			vi.useRealTimers();
		}
	});
});
