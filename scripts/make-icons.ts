/**
 * Draws Reeldrive's app icons as PNG files (no image tooling needed): a blue tile with a white
 * play triangle over a cloud-like arc. Run `npx tsx scripts/make-icons.ts` after changing the design;
 * the PNGs are committed under static/icons.
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
	let c = 0xffffffff;
	for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
	const head = Buffer.alloc(8);
	head.writeUInt32BE(data.length, 0);
	head.write(type, 4, 'ascii');
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
	return Buffer.concat([head, data, crc]);
}

function png(size: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
	const raw = Buffer.alloc(size * (size * 4 + 1));
	for (let y = 0; y < size; y++) {
		raw[y * (size * 4 + 1)] = 0; // filter: none
		for (let x = 0; x < size; x++) {
			// 4x4 supersampling for smooth edges.
			let r = 0, g = 0, b = 0, a = 0;
			for (let sy = 0; sy < 4; sy++) {
				for (let sx = 0; sx < 4; sx++) {
					const [pr, pg, pb, pa] = pixel((x + (sx + 0.5) / 4) / size, (y + (sy + 0.5) / 4) / size);
					r += pr * pa; g += pg * pa; b += pb * pa; a += pa;
				}
			}
			const o = y * (size * 4 + 1) + 1 + x * 4;
			raw[o] = a ? Math.round(r / a) : 0;
			raw[o + 1] = a ? Math.round(g / a) : 0;
			raw[o + 2] = a ? Math.round(b / a) : 0;
			raw[o + 3] = Math.round(a / 16);
		}
	}
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(size, 0);
	ihdr.writeUInt32BE(size, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 6; // RGBA
	const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
	return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array())]);
}

const BLUE: [number, number, number, number] = [15, 93, 140, 255];
const WHITE: [number, number, number, number] = [255, 255, 255, 255];
const CLEAR: [number, number, number, number] = [0, 0, 0, 0];

/** The artwork in unit coordinates, scaled by `inset` (maskable icons keep it in the safe zone). */
function art(x: number, y: number, inset: number): boolean {
	const u = (x - 0.5) / inset + 0.5;
	const v = (y - 0.5) / inset + 0.5;
	// Play triangle.
	const inTriangle = u > 0.36 && u < 0.7 && Math.abs(v - 0.5) < (0.7 - u) * 0.62;
	// Reel ring around it.
	const d = Math.hypot(u - 0.5, v - 0.5);
	return inTriangle || (d > 0.3 && d < 0.355);
}

function roundedTile(x: number, y: number, radius: number): boolean {
	const dx = Math.max(radius - x, 0, x - (1 - radius));
	const dy = Math.max(radius - y, 0, y - (1 - radius));
	return dx * dx + dy * dy <= radius * radius;
}

const standard = (x: number, y: number) => (!roundedTile(x, y, 0.2) ? CLEAR : art(x, y, 1) ? WHITE : BLUE);
const maskable = (x: number, y: number) => (art(x, y, 0.8) ? WHITE : BLUE);

writeFileSync('static/icons/icon-192.png', png(192, standard));
writeFileSync('static/icons/icon-512.png', png(512, standard));
writeFileSync('static/icons/maskable-512.png', png(512, maskable));
console.log('wrote static/icons/icon-192.png, icon-512.png, maskable-512.png');
