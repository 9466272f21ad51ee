/**
 * File names OneDrive refuses, fixed before upload so the person sees the change up front
 * instead of a failed session. The reference (onedrive-graph.md §4.1) says Windows-invalid
 * characters, `"`, a trailing space and a trailing period are rejected; the reserved names come
 * from Microsoft's published "Restrictions and limitations in OneDrive and SharePoint" list
 * (.lock, CON, PRN, AUX, NUL, COM0–9, LPT0–9, _vti_, desktop.ini, names starting with ~$).
 */
export type NameFix =
	| 'forbidden-characters'
	| 'control-characters'
	| 'surrounding-spaces'
	| 'trailing-dots'
	| 'reserved-name'
	| 'reserved-prefix'
	| 'reserved-fragment'
	| 'too-long'
	| 'empty';

export interface SanitisedName {
	name: string;
	changed: boolean;
	fixes: NameFix[];
}

const FORBIDDEN = /["*:<>?/\\|]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
const DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;
const WHOLE_NAMES = new Set(['.lock', 'desktop.ini']);
/** OneDrive's per-name limit is stricter in practice than the 400-character path limit. */
export const MAX_NAME_LENGTH = 255;
const REPLACEMENT = '_';
const FALLBACK_NAME = 'video';

export function sanitiseOneDriveName(input: string): SanitisedName {
	const fixes: NameFix[] = [];
	let name = input;
	const fix = (next: string, why: NameFix) => {
		if (next !== name) {
			name = next;
			if (!fixes.includes(why)) fixes.push(why);
		}
	};

	fix(name.replace(CONTROL, ''), 'control-characters');
	fix(name.replace(FORBIDDEN, REPLACEMENT), 'forbidden-characters');
	// Trailing dots and spaces can hide behind each other ("clip. ."), so strip them together.
	for (;;) {
		const before = name;
		fix(name.trim(), 'surrounding-spaces');
		fix(name.replace(/\.+$/, ''), 'trailing-dots');
		if (name === before) break;
	}
	if (name.length === 0) fix(FALLBACK_NAME, 'empty');

	if (WHOLE_NAMES.has(name.toLowerCase())) fix(`${REPLACEMENT}${name}`, 'reserved-name');
	// Windows device names are reserved with any extension too ("CON.mp4").
	const dot = name.indexOf('.');
	const stem = dot === -1 ? name : name.slice(0, dot);
	if (DEVICE_NAMES.test(stem)) fix(`${stem}${REPLACEMENT}${name.slice(stem.length)}`, 'reserved-name');
	if (name.startsWith('~$')) fix(`~${REPLACEMENT}${name.slice(2)}`, 'reserved-prefix');
	fix(name.replace(/_vti_/gi, (m) => `${m.slice(0, 4)}-`), 'reserved-fragment');

	if (name.length > MAX_NAME_LENGTH) {
		// Keep the extension: it is how OneDrive and players recognise a video.
		const lastDot = name.lastIndexOf('.');
		const ext = lastDot > 0 && name.length - lastDot <= 16 ? name.slice(lastDot) : '';
		let stemPart = name.slice(0, MAX_NAME_LENGTH - ext.length);
		// Do not leave half a surrogate pair, a trailing space or a trailing dot behind.
		if (/[\ud800-\udbff]$/.test(stemPart)) stemPart = stemPart.slice(0, -1);
		stemPart = stemPart.replace(/[ .]+$/, '');
		fix(`${stemPart || FALLBACK_NAME}${ext}`, 'too-long');
	}
	return { name, changed: name !== input, fixes };
}
