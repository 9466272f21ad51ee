/**
 * Reads the video facet (duration, width, height and what else the header gives) from a file on
 * disk, as OneDrive fills `video` from a file's metadata. Handles ISO base media (MP4, QuickTime)
 * by walking top-level boxes with seeks, so a `moov` after a large `mdat` costs one small read, and
 * Matroska/WebM from the head of the file. A file it cannot parse gets no facet at all.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ownEntry } from './own-entry';

export interface VideoFacet {
	duration: number;
	width: number;
	height: number;
	bitrate?: number;
	frameRate?: number;
	fourCC?: string;
	audioFormat?: string;
	audioChannels?: number;
	audioSamplesPerSecond?: number;
	audioBitsPerSample?: number;
}

const MAX_MOOV_BYTES = 64 * 1024 * 1024;
const WEBM_HEAD_BYTES = 1024 * 1024;
const TOP_LEVEL_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'uuid', 'meta', 'styp', 'sidx', 'moof', 'mfra', 'pdin']);

export async function readVideoFacet(path: string): Promise<VideoFacet | undefined> {
	const file = await open(path, 'r');
	try {
		const { size } = await file.stat();
		if (size < 16) return undefined;
		const head = await readAt(file, 0, 12);
		if (head.readUInt32BE(0) === 0x1a45dfa3) {
			return parseMatroska(await readAt(file, 0, Math.min(size, WEBM_HEAD_BYTES)), size);
		}
		return await parseIsoMedia(file, size);
	} catch {
		return undefined;
	} finally {
		await file.close();
	}
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
	const buffer = Buffer.alloc(length);
	const { bytesRead } = await file.read(buffer, 0, length, position);
	return buffer.subarray(0, bytesRead);
}

// ---- ISO base media file format (MP4, QuickTime) ----

interface Box {
	type: string;
	start: number; // of the payload
	end: number;
}

function isBoxType(type: string): boolean {
	return /^[\x20-\x7e]{4}$/.test(type);
}

async function parseIsoMedia(file: FileHandle, size: number): Promise<VideoFacet | undefined> {
	let offset = 0;
	let first = true;
	while (offset + 8 <= size) {
		const header = await readAt(file, offset, 16);
		let boxSize = header.readUInt32BE(0);
		const type = header.toString('latin1', 4, 8);
		if (!isBoxType(type) || (first && !TOP_LEVEL_BOXES.has(type))) return undefined;
		first = false;
		let headerSize = 8;
		if (boxSize === 1) {
			boxSize = Number(header.readBigUInt64BE(8));
			headerSize = 16;
		} else if (boxSize === 0) {
			boxSize = size - offset;
		}
		if (boxSize < headerSize || offset + boxSize > size) return undefined;
		if (type === 'moov') {
			if (boxSize > MAX_MOOV_BYTES) return undefined;
			const moov = await readAt(file, offset + headerSize, boxSize - headerSize);
			return facetFromMoov(moov, size);
		}
		offset += boxSize;
	}
	return undefined;
}

function children(buffer: Buffer, start: number, end: number): Box[] {
	const boxes: Box[] = [];
	let offset = start;
	while (offset + 8 <= end) {
		let boxSize = buffer.readUInt32BE(offset);
		const type = buffer.toString('latin1', offset + 4, offset + 8);
		let headerSize = 8;
		if (boxSize === 1) {
			boxSize = Number(buffer.readBigUInt64BE(offset + 8));
			headerSize = 16;
		} else if (boxSize === 0) {
			boxSize = end - offset;
		}
		if (boxSize < headerSize || offset + boxSize > end) break;
		boxes.push({ type, start: offset + headerSize, end: offset + boxSize });
		offset += boxSize;
	}
	return boxes;
}

function child(buffer: Buffer, box: Box | undefined, type: string): Box | undefined {
	if (!box) return undefined;
	return children(buffer, box.start, box.end).find((b) => b.type === type);
}

/** Reads (timescale, duration) from an mvhd or mdhd payload. */
function timeHeader(buffer: Buffer, box: Box): { timescale: number; duration: number } {
	const version = buffer[box.start]!;
	if (version === 1) {
		return {
			timescale: buffer.readUInt32BE(box.start + 20),
			duration: Number(buffer.readBigUInt64BE(box.start + 24))
		};
	}
	return { timescale: buffer.readUInt32BE(box.start + 12), duration: buffer.readUInt32BE(box.start + 16) };
}

interface Track {
	handler: string;
	width: number;
	height: number;
	timescale: number;
	duration: number;
	sampleCount: number;
	format?: string;
	channels?: number;
	sampleSize?: number;
	sampleRate?: number;
}

function readTrack(buffer: Buffer, trak: Box): Track | undefined {
	const tkhd = child(buffer, trak, 'tkhd');
	const mdia = child(buffer, trak, 'mdia');
	const hdlr = child(buffer, mdia, 'hdlr');
	const mdhd = child(buffer, mdia, 'mdhd');
	if (!tkhd || !hdlr || !mdhd) return undefined;
	const handler = buffer.toString('latin1', hdlr.start + 8, hdlr.start + 12);
	// tkhd ends with the 3x3 matrix and 16.16 width/height; the version only moves the start.
	const version = buffer[tkhd.start]!;
	const matrixAt = tkhd.start + (version === 1 ? 52 : 40);
	const a = buffer.readInt32BE(matrixAt);
	const b = buffer.readInt32BE(matrixAt + 4);
	let width = buffer.readUInt32BE(matrixAt + 36) / 65536;
	let height = buffer.readUInt32BE(matrixAt + 40) / 65536;
	if (a === 0 && b !== 0) [width, height] = [height, width]; // rotated by 90 or 270 degrees
	const { timescale, duration } = timeHeader(buffer, mdhd);
	const stbl = child(buffer, child(buffer, mdia, 'minf'), 'stbl');
	const track: Track = { handler, width: Math.round(width), height: Math.round(height), timescale, duration, sampleCount: 0 };
	const stsd = child(buffer, stbl, 'stsd');
	if (stsd && buffer.readUInt32BE(stsd.start + 4) > 0) {
		const entry = stsd.start + 8;
		track.format = buffer.toString('latin1', entry + 4, entry + 8);
		const body = entry + 8;
		if (handler === 'vide' && (track.width === 0 || track.height === 0)) {
			track.width = buffer.readUInt16BE(body + 24);
			track.height = buffer.readUInt16BE(body + 26);
		}
		if (handler === 'soun') {
			track.channels = buffer.readUInt16BE(body + 16);
			track.sampleSize = buffer.readUInt16BE(body + 18);
			track.sampleRate = buffer.readUInt32BE(body + 24) / 65536;
		}
	}
	const stts = child(buffer, stbl, 'stts');
	if (stts) {
		const entries = buffer.readUInt32BE(stts.start + 4);
		for (let i = 0; i < entries && stts.start + 8 + i * 8 + 8 <= stts.end; i++) {
			track.sampleCount += buffer.readUInt32BE(stts.start + 8 + i * 8);
		}
	}
	return track;
}

const VIDEO_FOURCC: Record<string, string> = { avc1: 'H264', avc3: 'H264', hvc1: 'HEVC', hev1: 'HEVC', mp4v: 'MP4V', vp09: 'VP90', av01: 'AV01', jpeg: 'MJPG', apcn: 'APCN' };
const AUDIO_FORMAT: Record<string, string> = { mp4a: 'AAC', 'ac-3': 'AC3', 'ec-3': 'EAC3', Opus: 'Opus', lpcm: 'PCM', sowt: 'PCM', twos: 'PCM' };

function facetFromMoov(moov: Buffer, fileSize: number): VideoFacet | undefined {
	const root: Box = { type: 'moov', start: 0, end: moov.length };
	const mvhd = child(moov, root, 'mvhd');
	const tracks = children(moov, 0, moov.length)
		.filter((b) => b.type === 'trak')
		.map((trak) => readTrack(moov, trak))
		.filter((t): t is Track => t !== undefined);
	const video = tracks.find((t) => t.handler === 'vide' && t.width > 0 && t.height > 0);
	if (!video) return undefined;
	let durationMs = 0;
	if (mvhd) {
		const { timescale, duration } = timeHeader(moov, mvhd);
		if (timescale > 0) durationMs = Math.round((duration * 1000) / timescale);
	}
	if (durationMs === 0 && video.timescale > 0) durationMs = Math.round((video.duration * 1000) / video.timescale);
	const facet: VideoFacet = { duration: durationMs, width: video.width, height: video.height };
	if (durationMs > 0) facet.bitrate = Math.round((fileSize * 8 * 1000) / durationMs);
	if (video.sampleCount > 0 && video.duration > 0 && video.timescale > 0) {
		facet.frameRate = Math.round((video.sampleCount * video.timescale * 1000) / video.duration) / 1000;
	}
	if (video.format) facet.fourCC = ownEntry(VIDEO_FOURCC, video.format) ?? video.format.toUpperCase();
	const audio = tracks.find((t) => t.handler === 'soun');
	if (audio?.format) {
		facet.audioFormat = ownEntry(AUDIO_FORMAT, audio.format) ?? audio.format;
		if (audio.channels) facet.audioChannels = audio.channels;
		if (audio.sampleRate) facet.audioSamplesPerSecond = Math.round(audio.sampleRate);
		if (audio.sampleSize) facet.audioBitsPerSample = audio.sampleSize;
	}
	return facet;
}

// ---- Matroska / WebM (EBML) ----

const EBML = {
	header: 0x1a45dfa3,
	docType: 0x4282,
	segment: 0x18538067,
	info: 0x1549a966,
	timecodeScale: 0x2ad7b1,
	duration: 0x4489,
	tracks: 0x1654ae6b,
	trackEntry: 0xae,
	trackType: 0x83,
	codecId: 0x86,
	video: 0xe0,
	pixelWidth: 0xb0,
	pixelHeight: 0xba,
	displayWidth: 0x54b0,
	displayHeight: 0x54ba,
	audio: 0xe1,
	samplingFrequency: 0xb5,
	channels: 0x9f,
	bitDepth: 0x6264,
	cluster: 0x1f43b675
};

interface Element {
	id: number;
	start: number;
	end: number; // clamped to the buffer; unknown sizes run to the end of their parent
}

function readVint(buffer: Buffer, offset: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } | undefined {
	const first = buffer[offset];
	if (first === undefined || first === 0) return undefined;
	let length = 1;
	while (!(first & (0x80 >> (length - 1)))) length++;
	if (length > 8 || offset + length > buffer.length) return undefined;
	let value = keepMarker ? first : first & (0xff >> length);
	let allOnes = value === (0xff >> length);
	for (let i = 1; i < length; i++) {
		const byte = buffer[offset + i]!;
		if (byte !== 0xff) allOnes = false;
		value = value * 256 + byte;
	}
	return { value, length, unknown: !keepMarker && allOnes };
}

function elements(buffer: Buffer, start: number, end: number): Element[] {
	const found: Element[] = [];
	let offset = start;
	while (offset < end) {
		const id = readVint(buffer, offset, true);
		if (!id) break;
		const size = readVint(buffer, offset + id.length, false);
		if (!size) break;
		const payload = offset + id.length + size.length;
		const elementEnd = size.unknown ? end : Math.min(end, payload + size.value);
		found.push({ id: id.value, start: payload, end: elementEnd });
		if (id.value === EBML.cluster) break; // media data follows; headers come before it
		offset = size.unknown ? end : payload + size.value;
	}
	return found;
}

function uint(buffer: Buffer, el: Element): number {
	let value = 0;
	for (let i = el.start; i < el.end; i++) value = value * 256 + buffer[i]!;
	return value;
}

function float(buffer: Buffer, el: Element): number {
	const length = el.end - el.start;
	if (length === 4) return buffer.readFloatBE(el.start);
	if (length === 8) return buffer.readDoubleBE(el.start);
	return 0;
}

const find = (list: Element[], id: number) => list.find((el) => el.id === id);

const WEBM_FOURCC: Record<string, string> = { V_VP8: 'VP80', V_VP9: 'VP90', V_AV1: 'AV01', 'V_MPEG4/ISO/AVC': 'H264', V_MPEGH_ISO_HEVC: 'HEVC' };
const WEBM_AUDIO: Record<string, string> = { A_OPUS: 'Opus', A_VORBIS: 'Vorbis', A_AAC: 'AAC' };

function parseMatroska(buffer: Buffer, fileSize: number): VideoFacet | undefined {
	const top = elements(buffer, 0, buffer.length);
	const header = find(top, EBML.header);
	const segment = find(top, EBML.segment);
	if (!header || !segment) return undefined;
	const docType = find(elements(buffer, header.start, header.end), EBML.docType);
	const type = docType ? buffer.toString('latin1', docType.start, docType.end).replace(/\0+$/, '') : '';
	if (type !== 'webm' && type !== 'matroska') return undefined;
	const inSegment = elements(buffer, segment.start, segment.end);
	const info = find(inSegment, EBML.info);
	const tracks = find(inSegment, EBML.tracks);
	if (!tracks) return undefined;
	let durationMs = 0;
	if (info) {
		const infoChildren = elements(buffer, info.start, info.end);
		const scaleEl = find(infoChildren, EBML.timecodeScale);
		const scale = scaleEl ? uint(buffer, scaleEl) : 1_000_000;
		const durationEl = find(infoChildren, EBML.duration);
		if (durationEl) durationMs = Math.round((float(buffer, durationEl) * scale) / 1_000_000);
	}
	let facet: VideoFacet | undefined;
	let audio: { format?: string; channels?: number; rate?: number; bits?: number } | undefined;
	for (const entry of elements(buffer, tracks.start, tracks.end).filter((el) => el.id === EBML.trackEntry)) {
		const fields = elements(buffer, entry.start, entry.end);
		const trackType = find(fields, EBML.trackType);
		const codecEl = find(fields, EBML.codecId);
		const codec = codecEl ? buffer.toString('latin1', codecEl.start, codecEl.end).replace(/\0+$/, '') : '';
		if (trackType && uint(buffer, trackType) === 1 && !facet) {
			const videoEl = find(fields, EBML.video);
			if (!videoEl) continue;
			const video = elements(buffer, videoEl.start, videoEl.end);
			const w = find(video, EBML.displayWidth) ?? find(video, EBML.pixelWidth);
			const h = find(video, EBML.displayHeight) ?? find(video, EBML.pixelHeight);
			if (!w || !h) continue;
			facet = { duration: durationMs, width: uint(buffer, w), height: uint(buffer, h) };
			if (codec) facet.fourCC = ownEntry(WEBM_FOURCC, codec) ?? codec;
		} else if (trackType && uint(buffer, trackType) === 2 && !audio) {
			audio = { format: ownEntry(WEBM_AUDIO, codec) ?? (codec || undefined) };
			const audioEl = find(fields, EBML.audio);
			if (audioEl) {
				const a = elements(buffer, audioEl.start, audioEl.end);
				const rate = find(a, EBML.samplingFrequency);
				const channels = find(a, EBML.channels);
				const bits = find(a, EBML.bitDepth);
				if (rate) audio.rate = Math.round(float(buffer, rate));
				if (channels) audio.channels = uint(buffer, channels);
				if (bits) audio.bits = uint(buffer, bits);
			}
		}
	}
	if (!facet) return undefined;
	if (durationMs > 0) facet.bitrate = Math.round((fileSize * 8 * 1000) / durationMs);
	if (audio?.format) {
		facet.audioFormat = audio.format;
		if (audio.channels) facet.audioChannels = audio.channels;
		if (audio.rate) facet.audioSamplesPerSecond = audio.rate;
		if (audio.bits) facet.audioBitsPerSample = audio.bits;
	}
	return facet;
}
