import { describe, expect, it } from 'vitest';
import { formatBytes, formatDate, formatDuration, formatResolution, orientationOf } from './format';

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

describe('video facts', () => {
	it('formats durations as a clock', () => {
		expect(formatDuration(7_400)).toBe('0:07');
		expect(formatDuration(754_000)).toBe('12:34');
		expect(formatDuration(3_723_000)).toBe('1:02:03');
		expect(formatDuration(null)).toBe('—');
	});

	it('names the orientation with the resolution', () => {
		expect(formatResolution(1920, 1080)).toBe('1920×1080 · landscape');
		expect(formatResolution(1080, 1920)).toBe('1080×1920 · portrait');
		expect(orientationOf(64, 64)).toBe('square');
		expect(formatResolution(null, 720)).toBeNull();
	});

	it('shows a date, or a dash when there is none', () => {
		expect(formatDate('2026-01-02T10:00:00Z')).toMatch(/2026/);
		expect(formatDate(null)).toBe('—');
	});
});
