import { describe, expect, it } from 'vitest';
import { isPageToWorker, isTokenRequest, isWorkerToPage } from './protocol';

describe('page ↔ worker protocol guards', () => {
	it('accepts only messages of the current version and a known type', () => {
		expect(isPageToWorker({ v: 1, type: 'pump' })).toBe(true);
		expect(isPageToWorker({ v: 2, type: 'pump' })).toBe(false);
		expect(isPageToWorker({ v: 1, type: 'format-disk' })).toBe(false);
		expect(isPageToWorker({ type: 'SKIP_WAITING' })).toBe(false);
		expect(isPageToWorker(null)).toBe(false);
		expect(isWorkerToPage({ v: 1, type: 'progress', jobId: 'a', acknowledged: 1, total: 2, bytesPerSecond: null })).toBe(true);
		expect(isWorkerToPage({ v: 1, type: 'pump' })).toBe(false);
		expect(isTokenRequest({ v: 1, type: 'token-request', appUserId: 'u', microsoftAccountId: 'm', forceRefresh: false })).toBe(true);
		expect(isTokenRequest({ v: 1, type: 'pump' })).toBe(false);
	});
});
