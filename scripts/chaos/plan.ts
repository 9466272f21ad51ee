/**
 * The chaos run's whole script, drawn from one seed: which videos (sizes, owners, browser
 * contexts, when each is picked), and which faults and browser events happen when. Pure: the
 * same seed gives the same plan on any machine, so a failing run can be replayed. Only the
 * timing of the app's own requests against these moments depends on the machine.
 */

/** A small seeded generator (mulberry32): 32 bits of state, good enough to draw a plan. */
export function prng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export type Person = 'a' | 'b';
/** `shared`: one browser context both people use in turn; `own-a`/`own-b`: one context each. */
export type ContextName = 'shared' | 'own-a' | 'own-b';
export const CONTEXTS: ContextName[] = ['shared', 'own-a', 'own-b'];

export interface VideoPlan {
	index: number;
	name: string;
	size: number;
	owner: Person;
	context: ContextName;
	/** Seconds after the start when the video is picked. */
	queueAt: number;
	/** Seed of the video's bytes. */
	bytesSeed: number;
}

/** An emulator fault rule as its control API takes it (POST /_emulator/faults). */
export interface FaultRule {
	kind: 'fragment' | 'createUploadSession' | 'graph' | 'token';
	method?: string;
	probability: number;
	count: number;
	seed: number;
	status?: number;
	retryAfter?: number;
	code?: string;
	dropAfterBytes?: number;
	acceptPrefixBytes?: number;
	expireSession?: boolean;
}

export type ChaosEvent =
	| { at: number; type: 'fault'; label: string; rule: FaultRule; seconds: number }
	| { at: number; type: 'reload'; context: ContextName }
	| { at: number; type: 'open-tab'; context: ContextName }
	| { at: number; type: 'close-tab'; context: ContextName }
	| { at: number; type: 'offline'; context: ContextName; seconds: number }
	| { at: number; type: 'pause'; context: ContextName; pick: number; resumeAfter: number }
	| { at: number; type: 'kill-worker'; context: ContextName }
	| { at: number; type: 'sign-out-in'; context: ContextName }
	| { at: number; type: 'swap-person'; context: 'shared' }
	| { at: number; type: 'new-version' }
	/** The emulator's clock jumps an hour ahead: every access token expires, and idle upload sessions with them. */
	| { at: number; type: 'clock-jump'; seconds: number };

export interface ChaosPlan {
	seed: number;
	smoke: boolean;
	/** Seconds during which events happen; afterwards faults stop and the run waits for states. */
	window: number;
	videos: VideoPlan[];
	events: ChaosEvent[];
}

const MB = 1_000_000;
const FRAGMENT_UNIT = 327_680;

export function makePlan(seed: number, smoke: boolean): ChaosPlan {
	const random = prng(seed);
	const between = (low: number, high: number) => low + (high - low) * random();
	const int = (low: number, high: number) => Math.floor(between(low, high + 1));
	const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
	const round = (seconds: number) => Math.round(seconds * 10) / 10;

	const window = smoke ? 50 : 150;
	const count = smoke ? 6 : 20;
	const [smallest, largest] = smoke ? [1 * MB, 16 * MB] : [1 * MB, 300 * MB];
	// The shared context starts with person a; b takes it over at `swapAt`.
	const swapAt = round(between(0.3, 0.45) * window);

	const videos: VideoPlan[] = [];
	for (let index = 0; index < count; index++) {
		// The smallest and the largest size always occur; the rest spread evenly on a log scale.
		const size =
			index === 0 ? smallest : index === 1 ? largest : Math.round(smallest * Math.pow(largest / smallest, random()));
		// Each of the four (person, context) pairs gets videos: a and b in the shared context, each in their own.
		const slot = index % 4;
		const owner: Person = slot === 0 || slot === 2 ? 'a' : 'b';
		const context: ContextName = slot < 2 ? 'shared' : owner === 'a' ? 'own-a' : 'own-b';
		const queueAt =
			context === 'shared' && owner === 'a'
				? round(between(0, swapAt - 8))
				: context === 'shared'
					? round(between(swapAt + 2, 0.75 * window))
					: round(between(0, 0.7 * window));
		const name = `chaos-${seed}-${String(index).padStart(2, '0')}-${owner}.mp4`;
		videos.push({ index, name, size, owner, context, queueAt: Math.max(0, queueAt), bytesSeed: int(1, 2 ** 31 - 1) });
	}

	const events: ChaosEvent[] = [];
	const moment = () => round(between(3, window - 2));
	const someContext = () => pick(CONTEXTS);
	const faults = smoke ? 8 : 16;
	for (let i = 0; i < faults; i++) {
		const base = { probability: round(between(0.25, 0.7)), count: int(1, 4), seed: int(1, 1_000_000) };
		const kind = pick(['5xx', '429', 'drop', 'partial', 'session-expiry', 'token-expiry', 'create-session', 'token-endpoint'] as const);
		let rule: FaultRule;
		switch (kind) {
			case '5xx':
				rule = { ...base, kind: 'fragment', method: 'PUT', status: pick([500, 502, 503, 504]) };
				break;
			case '429':
				rule = { ...base, kind: 'fragment', method: 'PUT', status: 429, retryAfter: int(1, 3) };
				break;
			case 'drop':
				rule = { ...base, kind: 'fragment', method: 'PUT', dropAfterBytes: int(16, 2048) * 1024 };
				break;
			case 'partial':
				rule = { ...base, kind: 'fragment', method: 'PUT', acceptPrefixBytes: int(1, 8) * FRAGMENT_UNIT };
				break;
			case 'session-expiry':
				rule = { ...base, kind: 'fragment', method: 'PUT', expireSession: true };
				break;
			case 'token-expiry':
				// What Graph answers once to an access token that has expired: one refusal (a token
				// refreshed after it is good again; two refusals in a row would be a revoked grant).
				rule = { ...base, probability: 1, count: 1, kind: pick(['createUploadSession', 'graph'] as const), status: 401, code: 'InvalidAuthenticationToken' };
				break;
			case 'create-session':
				rule = pick([true, false])
					? { ...base, kind: 'createUploadSession', status: 503 }
					: { ...base, kind: 'createUploadSession', status: 429, retryAfter: int(1, 3) };
				break;
			case 'token-endpoint':
				rule = { ...base, kind: 'token', status: 503, code: 'temporarily_unavailable' };
				break;
		}
		events.push({ at: moment(), type: 'fault', label: kind, rule, seconds: round(between(3, smoke ? 8 : 15)) });
	}
	const times = (n: number) => Array.from({ length: n }, () => moment());
	for (const at of times(smoke ? 2 : 4)) events.push({ at, type: 'reload', context: someContext() });
	for (const at of times(2)) events.push({ at, type: 'open-tab', context: someContext() });
	for (const at of times(2)) events.push({ at, type: 'close-tab', context: someContext() });
	for (const at of times(2)) events.push({ at, type: 'offline', context: someContext(), seconds: round(between(2, 6)) });
	for (const at of times(smoke ? 2 : 4)) events.push({ at, type: 'pause', context: someContext(), pick: int(0, 9), resumeAfter: round(between(2, 8)) });
	for (const at of times(2)) events.push({ at, type: 'kill-worker', context: someContext() });
	events.push({ at: round(between(0.55, 0.8) * window), type: 'sign-out-in', context: pick(['own-a', 'own-b'] as const) });
	events.push({ at: swapAt, type: 'swap-person', context: 'shared' });
	events.push({ at: round(between(0.45, 0.7) * window), type: 'new-version' });
	events.push({ at: moment(), type: 'clock-jump', seconds: 3700 });
	events.sort((x, y) => x.at - y.at);
	return { seed, smoke, window, videos, events };
}
