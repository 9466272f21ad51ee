import { describe, expect, it } from 'vitest';
import { formatBytes } from './format';

describe('formatBytes', () => {
	it('uses decimal units with sensible precision', () => {
		expect(formatBytes(0)).toBe('0 B');
		expect(formatBytes(999)).toBe('999 B');
		expect(formatBytes(1_500)).toBe('1.5 KB');
		expect(formatBytes(314_572_800)).toBe('315 MB');
		expect(formatBytes(5_368_709_120)).toBe('5.4 GB');
		expect(formatBytes(1_099_511_627_776)).toBe('1.1 TB');
		expect(formatBytes(-1)).toBe('—');
	});
});
