import { describe, expect, it } from 'vitest';
import { AppError } from '$lib/errors';
import { SilentReconnect, type KnownAccount, type SilentReconnectPorts } from './silent-reconnect';

interface Account {
	localAccountId: string;
	username: string;
}

const alice: KnownAccount = { localAccountId: 'oid-alice', username: 'alice@contoso.test' };

/** A promise settled from outside, as Node 20 has no Promise.withResolvers. */
function deferred<T>() {
	let resolve!: (value: T) => void;
	let reject!: (error: unknown) => void;
	const promise = new Promise<T>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}

/** Scripted ports: each silent sign-in waits for the test to answer it; timers fire on demand. */
function fakePorts(options: { online?: boolean } = {}) {
	const signIns: Array<{ hint: string; answer: ReturnType<typeof deferred<Account>> }> = [];
	const timers: Array<{ ms: number; fire(): void; cancelled: boolean }> = [];
	const log: string[] = [];
	let online = options.online ?? true;
	const ports: SilentReconnectPorts<Account> = {
		signIn: (hint) => {
			const answer = deferred<Account>();
			signIns.push({ hint, answer });
			return answer.promise;
		},
		adopt: (account) => void log.push(`adopt ${account.localAccountId}`),
		discard: async (account) => void log.push(`discard ${account.localAccountId}`),
		sleep: (ms) => {
			const done = deferred<void>();
			const timer = { ms, fire: () => done.resolve(), cancelled: false };
			timers.push(timer);
			return { done: done.promise, cancel: () => void (timer.cancelled = true) };
		},
		online: () => online,
		timeoutMs: 10_000,
		onSignedIn: (account) => void log.push(`told ${account.localAccountId}`)
	};
	return {
		ports,
		signIns,
		timers,
		log,
		goOnline: (value: boolean) => void (online = value)
	};
}

describe('SilentReconnect', () => {
	it('signs the known account in with its name as login_hint, makes it active and says so', async () => {
		const fake = fakePorts();
		const silent = new SilentReconnect(fake.ports);
		const outcome = silent.run(alice);
		expect(fake.signIns.map((s) => s.hint)).toEqual(['alice@contoso.test']);
		fake.signIns[0]!.answer.resolve({ localAccountId: 'oid-alice', username: 'alice@contoso.test' });
		expect(await outcome).toEqual({ kind: 'signed-in', account: { localAccountId: 'oid-alice', username: 'alice@contoso.test' } });
		expect(fake.log).toEqual(['adopt oid-alice', 'told oid-alice']);
		// The wait's timer is cancelled once the answer is in.
		expect(fake.timers).toMatchObject([{ ms: 10_000, cancelled: true }]);
	});

	it('refuses an answer for another Microsoft account: removed from the cache, never made active', async () => {
		const fake = fakePorts();
		const silent = new SilentReconnect(fake.ports);
		const outcome = silent.run(alice);
		fake.signIns[0]!.answer.resolve({ localAccountId: 'oid-mallory', username: 'alice@contoso.test' });
		expect(await outcome).toEqual({ kind: 'needs-sign-in', reason: 'other-account' });
		expect(fake.log).toEqual(['discard oid-mallory']);
	});

	it('makes one attempt per account for everyone who asks at once, and none after it', async () => {
		const fake = fakePorts();
		const silent = new SilentReconnect(fake.ports);
		const asked = [silent.run(alice), silent.run({ ...alice }), silent.run(alice)];
		expect(fake.signIns).toHaveLength(1);
		fake.signIns[0]!.answer.resolve({ localAccountId: 'oid-alice', username: 'alice@contoso.test' });
		const outcomes = await Promise.all(asked);
		expect(new Set(outcomes).size).toBe(1);
		expect(outcomes[0]!.kind).toBe('signed-in');
		expect(fake.log).toEqual(['adopt oid-alice', 'told oid-alice']);
		// Later in the same page load: the attempt is spent.
		expect(await silent.run(alice)).toEqual({ kind: 'needs-sign-in', reason: 'already-tried' });
		expect(fake.signIns).toHaveLength(1);
	});

	it('a failed attempt is not repeated either: later callers get its answer', async () => {
		const fake = fakePorts();
		const silent = new SilentReconnect(fake.ports);
		const first = silent.run(alice);
		fake.signIns[0]!.answer.reject(new AppError('microsoft-reauth-required', { detail: 'login_required' }));
		expect(await first).toEqual({ kind: 'needs-sign-in', reason: 'no-session' });
		expect(await silent.run(alice)).toEqual({ kind: 'needs-sign-in', reason: 'no-session' });
		expect(fake.signIns).toHaveLength(1);
		expect(fake.log).toEqual([]);
	});

	it('another known account (another user signed in on this page) gets an attempt of its own', async () => {
		const fake = fakePorts();
		const silent = new SilentReconnect(fake.ports);
		const a = silent.run(alice);
		const b = silent.run({ localAccountId: 'oid-bob', username: 'bob@contoso.test' });
		expect(fake.signIns.map((s) => s.hint)).toEqual(['alice@contoso.test', 'bob@contoso.test']);
		fake.signIns[0]!.answer.reject(new AppError('microsoft-reauth-required'));
		fake.signIns[1]!.answer.resolve({ localAccountId: 'oid-bob', username: 'bob@contoso.test' });
		expect((await a).kind).toBe('needs-sign-in');
		expect((await b).kind).toBe('signed-in');
	});

	it('never makes anyone wait past the bound; an answer that comes later still signs the account in', async () => {
		const fake = fakePorts();
		const silent = new SilentReconnect(fake.ports);
		const waiting = [silent.run(alice), silent.run(alice)];
		expect(fake.timers).toHaveLength(1);
		fake.timers[0]!.fire();
		expect(await Promise.all(waiting)).toEqual([
			{ kind: 'needs-sign-in', reason: 'timed-out' },
			{ kind: 'needs-sign-in', reason: 'timed-out' }
		]);
		expect(fake.log).toEqual([]);
		// The hidden frame answers after all: the account is adopted, and the app told, for its next call.
		fake.signIns[0]!.answer.resolve({ localAccountId: 'oid-alice', username: 'alice@contoso.test' });
		await expect.poll(() => fake.log).toEqual(['adopt oid-alice', 'told oid-alice']);
		expect(await silent.run(alice)).toEqual({ kind: 'needs-sign-in', reason: 'already-tried' });
		expect(fake.signIns).toHaveLength(1);
	});

	it('a late answer for another account after the bound is still refused', async () => {
		const fake = fakePorts();
		const silent = new SilentReconnect(fake.ports);
		const waiting = silent.run(alice);
		fake.timers[0]!.fire();
		expect(await waiting).toEqual({ kind: 'needs-sign-in', reason: 'timed-out' });
		fake.signIns[0]!.answer.resolve({ localAccountId: 'oid-mallory', username: 'mallory@contoso.test' });
		await expect.poll(() => fake.log).toEqual(['discard oid-mallory']);
		expect(await silent.run(alice)).toEqual({ kind: 'needs-sign-in', reason: 'timed-out' });
	});

	it('offline it asks nothing and spends nothing; a lost connection mid-attempt does not spend it either', async () => {
		const fake = fakePorts({ online: false });
		const silent = new SilentReconnect(fake.ports);
		expect(await silent.run(alice)).toEqual({ kind: 'needs-sign-in', reason: 'offline' });
		expect(fake.signIns).toHaveLength(0);
		fake.goOnline(true);
		const cut = silent.run(alice);
		fake.signIns[0]!.answer.reject(new AppError('network-unreachable', { service: 'Microsoft sign-in' }));
		expect(await cut).toEqual({ kind: 'needs-sign-in', reason: 'offline' });
		const again = silent.run(alice);
		expect(fake.signIns).toHaveLength(2);
		fake.signIns[1]!.answer.resolve({ localAccountId: 'oid-alice', username: 'alice@contoso.test' });
		expect((await again).kind).toBe('signed-in');
	});

	it('any other failure falls to "needs sign-in" without throwing', async () => {
		const fake = fakePorts();
		const silent = new SilentReconnect(fake.ports);
		const outcome = silent.run(alice);
		fake.signIns[0]!.answer.reject(new Error('iframe blew up'));
		expect(await outcome).toEqual({ kind: 'needs-sign-in', reason: 'failed' });
	});
});
