/**
 * What may be queued at all: judged by the bytes, not the name or the browser's MIME guess.
 * The sniffer reads only the first few kilobytes the host hands it.
 */
import { UploadError } from './errors';

/** OneDrive's per-file limit is "250 GB"; decimal is the stricter reading, so nothing is
 * accepted that the service might refuse after hours of uploading. */
export const MAX_FILE_SIZE = 250_000_000_000;
/** How many leading bytes `sniffVideoContainer` wants to see. */
export const SNIFF_BYTES = 4096;

export type VideoContainer =
	| 'mp4'
	| 'quicktime'
	| '3gp'
	| 'webm'
	| 'matroska'
	| 'avi'
	| 'mpeg-ts'
	| 'mpeg-ps'
	| 'flv'
	| 'asf'
	| 'ogg';

const ascii = (bytes: Uint8Array, at: number, length: number) => {
	let s = '';
	for (let i = at; i < at + length && i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
	return s;
};
const startsWith = (bytes: Uint8Array, sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);

const QUICKTIME_ATOMS = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot', 'uuid']);
// ISO base media brands that are images or audio, not video.
const NON_VIDEO_BRANDS = /^(heic|heix|heim|heis|hevc|hevx|mif1|msf1|avif|avis|M4A |M4B |M4P |F4A |F4B |jp2 |jpx |crx )$/;

/** Identifies a video container from the file's first bytes, or null when it is not one. */
export function sniffVideoContainer(head: Uint8Array): VideoContainer | null {
	if (head.length < 12) return null;
	const box = ascii(head, 4, 4);
	if (box === 'ftyp') {
		const brand = ascii(head, 8, 4);
		if (NON_VIDEO_BRANDS.test(brand)) return null;
		if (brand === 'qt  ') return 'quicktime';
		if (brand.startsWith('3g')) return '3gp';
		return 'mp4';
	}
	// Old QuickTime files start straight with an atom; its declared size must be plausible.
	if (QUICKTIME_ATOMS.has(box)) {
		const size = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
		if (size === 0 || size === 1 || size >= 8) return 'quicktime';
	}
	if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) {
		// EBML header: the DocType element (0x42 0x82) says which flavour.
		const text = ascii(head, 0, Math.min(head.length, 64));
		if (text.includes('webm')) return 'webm';
		if (text.includes('matroska')) return 'matroska';
		return null;
	}
	if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'AVI ') return 'avi';
	if (isTransportStream(head, 0, 188) || isTransportStream(head, 4, 192)) return 'mpeg-ts';
	if (startsWith(head, [0x00, 0x00, 0x01, 0xba])) return 'mpeg-ps';
	if (ascii(head, 0, 3) === 'FLV' && head[3] === 1) return 'flv';
	if (startsWith(head, [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c])) {
		return 'asf';
	}
	if (ascii(head, 0, 4) === 'OggS' && /\x80theora|\x80daala|fishead/.test(ascii(head, 0, Math.min(head.length, 256)))) {
		return 'ogg';
	}
	return null;
}

/** MPEG-TS: a sync byte 0x47 at the start of several consecutive packets. */
function isTransportStream(head: Uint8Array, first: number, stride: number): boolean {
	const packets = Math.min(4, Math.floor((head.length - first) / stride));
	if (packets < 2) return false;
	for (let p = 0; p < packets; p++) if (head[first + p * stride] !== 0x47) return false;
	return true;
}

export interface UploadableFile {
	size: number;
	container: VideoContainer;
}

/**
 * Refuses what must never be queued: empty files (an upload session cannot carry zero bytes),
 * files over OneDrive's limit, and anything whose first bytes are not a video container.
 */
export function checkUploadable(file: { size: number; head: Uint8Array }): UploadableFile {
	if (!Number.isSafeInteger(file.size) || file.size <= 0) throw new UploadError('file-empty', { size: file.size });
	if (file.size > MAX_FILE_SIZE) throw new UploadError('file-too-large', { size: file.size, limit: MAX_FILE_SIZE });
	const container = sniffVideoContainer(file.head);
	if (!container) throw new UploadError('not-a-video', { size: file.size });
	return { size: file.size, container };
}
