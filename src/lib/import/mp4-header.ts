/**
 * A video's duration and frame size from its MP4 or QuickTime header, for files OneDrive gave no
 * video facet. Only the boxes that matter are read, through byte ranges, so a 5 GB file costs a
 * few KiB: the top-level box headers, then `moov`, whose `mvhd` holds the duration and whose video
 * track's `tkhd` holds width, height and rotation. `moov` may come after `mdat` (files not saved
 * for "fast start"); the top-level sizes say where, so the media data is never read.
 */

/** Reads bytes of one file; fewer than asked only at its end. */
export interface ByteRangeReader {
	read(start: number, length: number): Promise<Uint8Array>;
}

export interface VideoHeader {
	durationMs: number | null;
	width: number | null;
	height: number | null;
}

/** Enough for ftyp and, in a fast-start file, usually the whole moov. */
const FIRST_READ = 64 * 1024;
/** A moov larger than this (hours of tiny samples) is not worth reading for three numbers. */
const MAX_MOOV = 32 * 1024 * 1024;
const MAX_TOP_LEVEL_BOXES = 64;

interface Box {
	type: string;
	/** Offsets within the buffer it was read from. */
	start: number;
	contentStart: number;
	end: number;
}

/** Header of the box at `offset` in `bytes`, or null if it does not fit or makes no sense. */
function boxAt(bytes: Uint8Array, offset: number, limit: number, fileSize?: number): Box | null {
	if (offset + 8 > bytes.length) return null;
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	let size = view.getUint32(offset);
	const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
	if (!/^[\x20-\x7e]{4}$/.test(type)) return null;
	let header = 8;
	if (size === 1) {
		if (offset + 16 > bytes.length) return null;
		size = Number(view.getBigUint64(offset + 8));
		header = 16;
	} else if (size === 0) {
		// "To the end of the file" (or of the enclosing box).
		size = (fileSize ?? limit) - offset;
	}
	if (size < header) return null;
	return { type, start: offset, contentStart: offset + header, end: offset + size };
}

function children(bytes: Uint8Array, from: number, to: number): Box[] {
	const boxes: Box[] = [];
	for (let offset = from; offset + 8 <= to; ) {
		const box = boxAt(bytes, offset, to);
		if (!box || box.end > to) break;
		boxes.push(box);
		offset = box.end;
	}
	return boxes;
}

function child(bytes: Uint8Array, parent: Box, type: string): Box | undefined {
	return children(bytes, parent.contentStart, parent.end).find((box) => box.type === type);
}

function fixed16(view: DataView, offset: number): number {
	return view.getInt32(offset) / 65536;
}

interface Track {
	handler: string | null;
	width: number;
	height: number;
}

function readTrack(bytes: Uint8Array, trak: Box): Track | null {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const tkhd = child(bytes, trak, 'tkhd');
	if (!tkhd) return null;
	const version = bytes[tkhd.contentStart];
	// After version/flags: times, track id, reserved and duration (20 bytes, or 32 in version 1),
	// then 16 bytes of layer, group and volume, the 36-byte matrix, then width and height (16.16).
	const matrixAt = tkhd.contentStart + 4 + (version === 1 ? 32 : 20) + 16;
	const sizeAt = matrixAt + 36;
	if (sizeAt + 8 > tkhd.end) return null;
	let width = Math.round(fixed16(view, sizeAt));
	let height = Math.round(fixed16(view, sizeAt + 4));
	// A 90° or 270° rotation (matrix a = d = 0) shows the frame on its side.
	if (fixed16(view, matrixAt) === 0 && fixed16(view, matrixAt + 16) === 0) [width, height] = [height, width];
	const mdia = child(bytes, trak, 'mdia');
	const hdlr = mdia ? child(bytes, mdia, 'hdlr') : undefined;
	const handler = hdlr && hdlr.contentStart + 12 <= hdlr.end ? String.fromCharCode(...bytes.subarray(hdlr.contentStart + 8, hdlr.contentStart + 12)) : null;
	return { handler, width, height };
}

/** Duration, width and height from a whole moov box. */
export function parseMoov(bytes: Uint8Array): VideoHeader | null {
	const moov = boxAt(bytes, 0, bytes.length);
	if (!moov || moov.type !== 'moov' || moov.end > bytes.length) return null;
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	let durationMs: number | null = null;
	const mvhd = child(bytes, moov, 'mvhd');
	if (mvhd) {
		const v1 = bytes[mvhd.contentStart] === 1;
		const timescaleAt = mvhd.contentStart + 4 + (v1 ? 16 : 8);
		if (timescaleAt + (v1 ? 12 : 8) <= mvhd.end) {
			const timescale = view.getUint32(timescaleAt);
			const duration = v1 ? Number(view.getBigUint64(timescaleAt + 4)) : view.getUint32(timescaleAt + 4);
			// All ones means "unknown" in both versions.
			const unknown = v1 ? duration >= Number.MAX_SAFE_INTEGER : duration === 0xffffffff;
			if (timescale > 0 && !unknown) durationMs = Math.round((duration / timescale) * 1000);
		}
	}
	const tracks = children(bytes, moov.contentStart, moov.end)
		.filter((box) => box.type === 'trak')
		.map((trak) => readTrack(bytes, trak))
		.filter((track): track is Track => track !== null);
	const video = tracks.find((track) => track.handler === 'vide' && track.width > 0 && track.height > 0) ?? tracks.find((track) => track.width > 0 && track.height > 0);
	if (durationMs === null && !video) return null;
	return { durationMs, width: video?.width || null, height: video?.height || null };
}

/**
 * Reads the header of an MP4/QuickTime file of `size` bytes. Null when it is not one, or its moov
 * cannot be found or is unreasonably large; read errors are the caller's.
 */
export async function readMp4Header(reader: ByteRangeReader, size: number): Promise<VideoHeader | null> {
	let buffer = await reader.read(0, Math.min(FIRST_READ, size));
	let bufferStart = 0;
	let offset = 0;
	for (let count = 0; count < MAX_TOP_LEVEL_BOXES && offset + 8 <= size; count++) {
		if (offset + 16 > bufferStart + buffer.length) {
			buffer = await reader.read(offset, Math.min(16, size - offset));
			bufferStart = offset;
		}
		const box = boxAt(buffer, offset - bufferStart, buffer.length, size - bufferStart);
		if (!box) return null;
		// The first box of an MP4 is ftyp; QuickTime files may start with wide, free, mdat or moov.
		if (count === 0 && !['ftyp', 'wide', 'free', 'skip', 'mdat', 'moov', 'pnot'].includes(box.type)) return null;
		const boxSize = box.end - box.start;
		if (box.type === 'moov') {
			if (boxSize > MAX_MOOV || offset + boxSize > size) return null;
			const inBuffer = offset - bufferStart + boxSize <= buffer.length;
			const moov = inBuffer ? buffer.subarray(offset - bufferStart, offset - bufferStart + boxSize) : await reader.read(offset, boxSize);
			return moov.length === boxSize ? parseMoov(moov) : null;
		}
		offset += boxSize;
	}
	return null;
}
