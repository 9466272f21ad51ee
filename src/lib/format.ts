/** Sizes in the units people see in OneDrive and their file managers (1 KB = 1,000 bytes). */
export function formatBytes(bytes: number): string {
	if (!Number.isFinite(bytes) || bytes < 0) return '—';
	if (bytes < 1000) return `${bytes} B`;
	const units = ['KB', 'MB', 'GB', 'TB'];
	let value = bytes;
	let unit = -1;
	while (value >= 1000 && unit < units.length - 1) {
		value /= 1000;
		unit++;
	}
	return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** A video's length as a clock: "0:07", "12:34", "1:02:03". */
export function formatDuration(ms: number | null | undefined): string {
	if (ms == null || !Number.isFinite(ms) || ms < 0) return '—';
	const total = Math.round(ms / 1000);
	const hours = Math.floor(total / 3600);
	const minutes = Math.floor((total % 3600) / 60);
	const seconds = String(total % 60).padStart(2, '0');
	return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

export type Orientation = 'landscape' | 'portrait' | 'square';

export function orientationOf(width: number | null | undefined, height: number | null | undefined): Orientation | null {
	if (!width || !height) return null;
	if (width === height) return 'square';
	return width > height ? 'landscape' : 'portrait';
}

/** "1920×1080 · landscape", or null when the size is not known yet. */
export function formatResolution(width: number | null | undefined, height: number | null | undefined): string | null {
	const orientation = orientationOf(width, height);
	return orientation ? `${width}×${height} · ${orientation}` : null;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

export function formatDate(iso: string | null | undefined): string {
	if (!iso) return '—';
	const date = new Date(iso);
	return Number.isNaN(date.getTime()) ? '—' : dateFormat.format(date);
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** "27 Nov 2026, 14:03" in the person's own locale, or '—'. */
export function formatDateTime(iso: string | null | undefined): string {
	if (!iso) return '—';
	const date = new Date(iso);
	return Number.isNaN(date.getTime()) ? '—' : dateTimeFormat.format(date);
}
