import { describe, expect, it } from 'vitest';
import { FaultSchedule, FaultValidationError, validateFaultSpec } from './faults';

describe('FaultSchedule', () => {
	it('fires once by default, for the matching kind and method only', () => {
		const schedule = new FaultSchedule();
		schedule.add(validateFaultSpec({ kind: 'fragment', method: 'put', status: 503 }));
		expect(schedule.take('graph', 'PUT', '/x')).toBeUndefined();
		expect(schedule.take('fragment', 'GET', '/up/1')).toBeUndefined();
		expect(schedule.take('fragment', 'PUT', '/up/1')?.status).toBe(503);
		expect(schedule.take('fragment', 'PUT', '/up/1')).toBeUndefined();
	});

	it('lets `skip` matches through, then fires `count` times', () => {
		const schedule = new FaultSchedule();
		schedule.add(validateFaultSpec({ kind: 'graph', skip: 2, count: 2, status: 429, retryAfter: 3 }));
		const fired = Array.from({ length: 6 }, () => schedule.take('graph', 'GET', '/v1.0/me') !== undefined);
		expect(fired).toEqual([false, false, true, true, false, false]);
		expect(schedule.list()[0]).toMatchObject({ matched: 4, fired: 2 });
	});

	it('replays the same pattern for the same seed', () => {
		const run = (seed: number) => {
			const schedule = new FaultSchedule();
			schedule.add(validateFaultSpec({ kind: 'download', probability: 0.3, seed, status: 500 }));
			return Array.from({ length: 40 }, () => (schedule.take('download', 'GET', '/dl') ? 1 : 0)).join('');
		};
		expect(run(7)).toBe(run(7));
		expect(run(7)).not.toBe(run(8));
		expect(run(7)).toContain('1');
	});

	it('filters by path and can be removed', () => {
		const schedule = new FaultSchedule();
		const fault = schedule.add(validateFaultSpec({ kind: 'graph', pathContains: '/children', count: 5, latencyMs: 10 }));
		expect(schedule.take('graph', 'GET', '/v1.0/me')).toBeUndefined();
		expect(schedule.take('graph', 'GET', '/v1.0/me/drive/root/children')).toBeDefined();
		expect(schedule.remove(fault.id)).toBe(true);
		expect(schedule.take('graph', 'GET', '/v1.0/me/drive/root/children')).toBeUndefined();
	});

	it('refuses rules without an effect or with effects for another kind', () => {
		expect(() => validateFaultSpec({ kind: 'graph' })).toThrow(FaultValidationError);
		expect(() => validateFaultSpec({ kind: 'nope', status: 500 })).toThrow(FaultValidationError);
		expect(() => validateFaultSpec({ kind: 'graph', acceptPrefixBytes: 10 })).toThrow(FaultValidationError);
		expect(() => validateFaultSpec({ kind: 'token', status: 200 })).toThrow(FaultValidationError);
	});
});
