/** Small generated PNG thumbnails: a colour derived from the item, with a lighter "play" mark. */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
	const table = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		table[n] = c >>> 0;
	}
	return table;
})();

function crc32(data: Buffer): number {
	let crc = 0xffffffff;
	for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
	return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
	const out = Buffer.alloc(12 + data.length);
	out.writeUInt32BE(data.length, 0);
	out.write(type, 4, 'latin1');
	data.copy(out, 8);
	out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
	return out;
}

export function thumbnailPng(seed: string, width: number, height: number): Buffer {
	const [r, g, b] = createHash('sha256').update(seed).digest();
	const base = [64 + (r! % 128), 64 + (g! % 128), 64 + (b! % 128)];
	const raw = Buffer.alloc((width * 3 + 1) * height);
	const cx = width / 2;
	const cy = height / 2;
	const s = Math.min(width, height) / 4;
	for (let y = 0; y < height; y++) {
		const row = y * (width * 3 + 1);
		raw[row] = 0; // filter: none
		for (let x = 0; x < width; x++) {
			// A right-pointing triangle centred in the image.
			const inside = x >= cx - s / 2 && x <= cx + s && Math.abs(y - cy) <= ((cx + s - x) / (1.5 * s)) * s;
			const p = row + 1 + x * 3;
			raw[p] = inside ? 240 : base[0]!;
			raw[p + 1] = inside ? 240 : base[1]!;
			raw[p + 2] = inside ? 240 : base[2]!;
		}
	}
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // truecolour
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', ihdr),
		chunk('IDAT', deflateSync(raw)),
		chunk('IEND', Buffer.alloc(0))
	]);
}

/** Fits the source dimensions inside a box of `edge` (longest edge), as OneDrive's standard sizes do. */
export function fitLongestEdge(width: number, height: number, edge: number): { width: number; height: number } {
	if (width <= 0 || height <= 0) return { width: edge, height: edge };
	const scale = edge / Math.max(width, height);
	return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
