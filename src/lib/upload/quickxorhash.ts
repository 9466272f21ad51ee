import { decodeBase64, encodeBase64 } from './base64';

/**
 * QuickXorHash, the content hash OneDrive reports as `file.hashes.quickXorHash`.
 *
 * Byte i is XORed into a 160-bit ring at bit offset (11·i) mod 160. That offset depends only on
 * i mod 160, so the ring can be rebuilt at the end from 160 one-byte lanes, lane k holding the
 * XOR of every byte whose position is ≡ k (mod 160). Updating is then plain XOR with no shifts,
 * done 32 bits at a time when the input is aligned, and the whole state is 160 bytes plus a
 * length: small enough to persist after every fragment, so a restarted process continues the
 * hash instead of re-reading the file from byte 0.
 *
 * XOR is its own inverse, so bytes can also be taken back off the end (`retract`) when the
 * server turns out to hold fewer bytes than were hashed.
 */
export const QUICKXORHASH_LANES = 160;

export interface QuickXorHashState {
	/** base64 of the 160 lane bytes */
	lanes: string;
	/** bytes hashed so far */
	length: number;
}

const SCRATCH_SIZE = 64 * 1024;
const scratch = new Uint8Array(SCRATCH_SIZE + 4);

export class QuickXorHash {
	private readonly lanes = new Uint8Array(QUICKXORHASH_LANES);
	private readonly lanes32 = new Uint32Array(this.lanes.buffer);
	private total = 0;

	/** Bytes hashed so far. */
	get length(): number {
		return this.total;
	}

	update(bytes: Uint8Array): this {
		this.mix(bytes, this.total % QUICKXORHASH_LANES);
		this.total += bytes.length;
		return this;
	}

	/** Removes the last `bytes.length` bytes, which must be exactly the bytes hashed last. */
	retract(bytes: Uint8Array): this {
		if (bytes.length > this.total) throw new RangeError('cannot retract more bytes than were hashed');
		this.total -= bytes.length;
		this.mix(bytes, this.total % QUICKXORHASH_LANES);
		return this;
	}

	/** 20 raw bytes; the hash can keep being updated afterwards. */
	digestBytes(): Uint8Array {
		const out = new Uint8Array(20);
		for (let k = 0; k < QUICKXORHASH_LANES; k++) {
			const v = this.lanes[k]!;
			if (v === 0) continue;
			const bit = (11 * k) % 160;
			const at = bit >> 3;
			const shift = bit & 7;
			out[at]! ^= (v << shift) & 0xff;
			if (shift !== 0) out[(at + 1) % 20]! ^= v >> (8 - shift);
		}
		// The length as a little-endian 64-bit integer goes into the last 8 bytes. Lengths stay
		// below 2^53, so division is exact.
		let len = this.total;
		for (let i = 0; i < 8 && len > 0; i++) {
			out[12 + i]! ^= len % 256;
			len = Math.floor(len / 256);
		}
		return out;
	}

	/** Standard padded base64, the form OneDrive returns. */
	digest(): string {
		return encodeBase64(this.digestBytes());
	}

	clone(): QuickXorHash {
		const copy = new QuickXorHash();
		copy.lanes.set(this.lanes);
		copy.total = this.total;
		return copy;
	}

	toState(): QuickXorHashState {
		return { lanes: encodeBase64(this.lanes), length: this.total };
	}

	static fromState(state: QuickXorHashState): QuickXorHash {
		const lanes = decodeBase64(state.lanes);
		if (!lanes || lanes.length !== QUICKXORHASH_LANES || !Number.isSafeInteger(state.length) || state.length < 0) {
			throw new TypeError('not a QuickXorHash state');
		}
		const hash = new QuickXorHash();
		hash.lanes.set(lanes);
		hash.total = state.length;
		return hash;
	}

	private mix(bytes: Uint8Array, startLane: number): void {
		if (bytes.length >= 1024 && (bytes.byteOffset & 3) !== (startLane & 3)) {
			// Misaligned input: copy through a small scratch buffer placed to match the lane, which
			// is several times faster than the byte loop and keeps memory flat.
			let lane = startLane;
			for (let at = 0; at < bytes.length; at += SCRATCH_SIZE) {
				const piece = bytes.subarray(at, at + SCRATCH_SIZE);
				const shift = lane & 3;
				scratch.set(piece, shift);
				this.mixAligned(scratch.subarray(shift, shift + piece.length), lane);
				lane = (lane + piece.length) % QUICKXORHASH_LANES;
			}
			return;
		}
		this.mixAligned(bytes, startLane);
	}

	private mixAligned(bytes: Uint8Array, startLane: number): void {
		const lanes = this.lanes;
		const n = bytes.length;
		let lane = startLane;
		let i = 0;
		// Word path: needs the lane and the source address to share alignment mod 4.
		if (n >= 64 && (bytes.byteOffset & 3) === (lane & 3)) {
			while ((lane & 3) !== 0) {
				lanes[lane]! ^= bytes[i++]!;
				if (++lane === QUICKXORHASH_LANES) lane = 0;
			}
			const words = (n - i) >> 2;
			const src = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
			const acc = this.lanes32;
			let w = lane >> 2;
			let j = 0;
			while (j < words && w !== 0) {
				acc[w]! ^= src[j++]!;
				if (++w === 40) w = 0;
			}
			const fullRounds = j + Math.floor((words - j) / 40) * 40;
			for (; j < fullRounds; j += 40) {
				for (let k = 0; k < 40; k++) acc[k]! ^= src[j + k]!;
			}
			while (j < words) {
				acc[w]! ^= src[j++]!;
				if (++w === 40) w = 0;
			}
			i += words << 2;
			lane = (w << 2) % QUICKXORHASH_LANES;
		}
		for (; i < n; i++) {
			lanes[lane]! ^= bytes[i]!;
			if (++lane === QUICKXORHASH_LANES) lane = 0;
		}
	}
}

/** One-shot convenience. */
export function quickXorHash(bytes: Uint8Array): string {
	return new QuickXorHash().update(bytes).digest();
}
