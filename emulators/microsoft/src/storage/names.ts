/** OneDrive's rules for item names (Windows rules plus the extra ones rclone documents). */
import { ownEntry } from '../own-entry';

const INVALID_CHARACTERS = /["*:<>?/\\|]/;
const hasControlCharacter = (name: string) => [...name].some((c) => c.charCodeAt(0) < 0x20);
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|\.lock|desktop\.ini)$/i;

export function invalidNameReason(name: string): string | undefined {
	if (name.length === 0) return 'The name is empty.';
	if (name.length > 255) return 'The name is longer than 255 characters.';
	if (INVALID_CHARACTERS.test(name) || hasControlCharacter(name)) return 'The name contains a character that is not allowed.';
	if (name !== name.trimStart()) return 'The name starts with a space.';
	if (name.endsWith(' ') || name.endsWith('.')) return 'The name ends with a space or a period.';
	if (RESERVED.test(name) || name.startsWith('~$') || name.includes('_vti_')) return 'The name is reserved.';
	return undefined;
}

const MIME_TYPES: Record<string, string> = {
	mp4: 'video/mp4',
	m4v: 'video/mp4',
	mov: 'video/quicktime',
	webm: 'video/webm',
	mkv: 'video/x-matroska',
	avi: 'video/x-msvideo',
	jpg: 'image/jpeg',
	jpeg: 'image/jpeg',
	png: 'image/png',
	gif: 'image/gif',
	txt: 'text/plain',
	json: 'application/json',
	pdf: 'application/pdf'
};

/** The server decides the MIME type from the name, whatever the client sent. */
export function mimeTypeFor(name: string): string {
	const extension = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
	return ownEntry(MIME_TYPES, extension) ?? 'application/octet-stream';
}

/** "clip.mp4" -> "clip 1.mp4", "Folder" -> "Folder 1": the number goes before the extension. */
export function numberedName(name: string, n: number, isFolder: boolean): string {
	const dot = name.lastIndexOf('.');
	if (isFolder || dot <= 0) return `${name} ${n}`;
	return `${name.slice(0, dot)} ${n}${name.slice(dot)}`;
}
