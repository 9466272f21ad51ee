/**
 * Scheduled faults. Each rule matches requests by kind and, optionally, method and a path
 * substring; it fires a given number of times (after letting `skip` matches through) or with a
 * probability drawn from its own seeded generator, so a failing run can be replayed exactly.
 */

export type RequestKind = 'token' | 'graph' | 'createUploadSession' | 'fragment' | 'download';
export const REQUEST_KINDS: RequestKind[] = ['token', 'graph', 'createUploadSession', 'fragment', 'download'];

export interface FaultSpec {
	kind: RequestKind;
	method?: string;
	pathContains?: string;
	/** Matches to let through before the rule starts firing. */
	skip?: number;
	/** Times the rule fires; defaults to 1 unless `probability` is given (then unlimited). */
	count?: number;
	probability?: number;
	seed?: number;
	status?: number;
	retryAfter?: number;
	/** Error code for the body (Graph `error.code` or identity `error`); a default fits the status. */
	code?: string;
	latencyMs?: number;
	/** Close the connection after this many request-body bytes (response bytes for downloads). */
	dropAfterBytes?: number;
	/** Upload fragments: expire the session before handling the request. */
	expireSession?: boolean;
	/** Upload fragments: keep only this many bytes of the fragment. */
	acceptPrefixBytes?: number;
}

export interface Fault extends FaultSpec {
	id: string;
	matched: number;
	fired: number;
}

export class FaultValidationError extends Error {}

function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const nonNegativeInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

export function validateFaultSpec(input: unknown): FaultSpec {
	if (!input || typeof input !== 'object') throw new FaultValidationError('a fault must be a JSON object');
	const spec = input as Record<string, unknown>;
	if (!REQUEST_KINDS.includes(spec.kind as RequestKind)) {
		throw new FaultValidationError(`kind must be one of ${REQUEST_KINDS.join(', ')}`);
	}
	for (const key of ['skip', 'count', 'seed', 'retryAfter', 'latencyMs', 'dropAfterBytes', 'acceptPrefixBytes']) {
		if (spec[key] !== undefined && !nonNegativeInt(spec[key])) throw new FaultValidationError(`${key} must be a non-negative integer`);
	}
	if (spec.status !== undefined && !(Number.isInteger(spec.status) && (spec.status as number) >= 400 && (spec.status as number) <= 599)) {
		throw new FaultValidationError('status must be an HTTP error status (400-599)');
	}
	if (spec.probability !== undefined && !(typeof spec.probability === 'number' && spec.probability >= 0 && spec.probability <= 1)) {
		throw new FaultValidationError('probability must be between 0 and 1');
	}
	for (const key of ['method', 'pathContains', 'code']) {
		if (spec[key] !== undefined && typeof spec[key] !== 'string') throw new FaultValidationError(`${key} must be a string`);
	}
	if (spec.expireSession !== undefined && typeof spec.expireSession !== 'boolean') throw new FaultValidationError('expireSession must be a boolean');
	const effects = ['status', 'latencyMs', 'dropAfterBytes', 'expireSession', 'acceptPrefixBytes'].filter((k) => spec[k] !== undefined && spec[k] !== false);
	if (effects.length === 0) throw new FaultValidationError('a fault needs an effect: status, latencyMs, dropAfterBytes, expireSession or acceptPrefixBytes');
	if ((spec.expireSession || spec.acceptPrefixBytes !== undefined) && spec.kind !== 'fragment') {
		throw new FaultValidationError('expireSession and acceptPrefixBytes apply to kind "fragment" only');
	}
	return { ...(spec as unknown as FaultSpec), method: (spec.method as string | undefined)?.toUpperCase() };
}

export class FaultSchedule {
	private faults: Array<Fault & { random?: () => number }> = [];
	private nextId = 1;

	add(spec: FaultSpec): Fault {
		const fault = { ...spec, id: `fault-${this.nextId++}`, matched: 0, fired: 0 };
		if (fault.count === undefined && fault.probability === undefined) fault.count = 1;
		const random = spec.probability !== undefined ? mulberry32(spec.seed ?? 1) : undefined;
		this.faults.push({ ...fault, random });
		return this.describe(fault);
	}

	list(): Fault[] {
		return this.faults.map((f) => this.describe(f));
	}

	remove(id: string): boolean {
		const before = this.faults.length;
		this.faults = this.faults.filter((f) => f.id !== id);
		return this.faults.length !== before;
	}

	clear(): void {
		this.faults = [];
	}

	/** Returns the first rule that fires for this request, counting it as used. */
	take(kind: RequestKind, method: string, path: string): Fault | undefined {
		for (const fault of this.faults) {
			if (fault.kind !== kind) continue;
			if (fault.method && fault.method !== method.toUpperCase()) continue;
			if (fault.pathContains && !path.includes(fault.pathContains)) continue;
			if (fault.count !== undefined && fault.fired >= fault.count) continue;
			fault.matched++;
			if (fault.matched <= (fault.skip ?? 0)) continue;
			if (fault.random && fault.random() >= (fault.probability ?? 0)) continue;
			fault.fired++;
			return this.describe(fault);
		}
		return undefined;
	}

	private describe(fault: Fault & { random?: () => number }): Fault {
		const { random: _random, ...plain } = fault;
		return { ...plain };
	}
}
