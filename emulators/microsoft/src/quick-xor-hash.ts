/**
 * QuickXorHash, OneDrive's content hash, written for the emulator on its own so that a bug here
 * and a bug in the app's implementation cannot hide each other.
 *
 * Byte i of the stream is XOR-ed into a 160-bit ring at bit offset (11 * i) mod 160. Because that
 * offset depends only on i mod 160, the state kept between writes is 160 "lanes": lane k holds the
 * XOR of every byte whose position is k mod 160. The lanes are folded into the ring only when the
 * digest is taken, so an update costs one XOR per byte, and any chunking gives the same result.
 */

const LANES = 160;
const WIDTH_BYTES = 20;

export interface QuickXorHashState {
	/** XOR of all bytes per position class, base64 (160 bytes). */
	lanes: string;
	/** Bytes hashed so far. */
	length: number;
}

export class QuickXorHash {
	private lanes = new Uint8Array(LANES);
	private length = 0;

	static fromState(state: QuickXorHashState): QuickXorHash {
		const hash = new QuickXorHash();
		const lanes = Buffer.from(state.lanes, 'base64');
		if (lanes.length !== LANES || !Number.isSafeInteger(state.length) || state.length < 0) {
			throw new Error('invalid QuickXorHash state');
		}
		hash.lanes.set(lanes);
		hash.length = state.length;
		return hash;
	}

	get byteLength(): number {
		return this.length;
	}

	update(data: Uint8Array): this {
		const lanes = this.lanes;
		let lane = this.length % LANES;
		for (let i = 0; i < data.length; i++) {
			lanes[lane]! ^= data[i]!;
			lane++;
			if (lane === LANES) lane = 0;
		}
		this.length += data.length;
		return this;
	}

	/**
	 * Declares that the stream is `length` bytes long without feeding the rest. Only correct when
	 * the bytes not fed cancel out, as in a stream with period 160 whose unfed part is a whole
	 * number of 320-byte pairs (see synthetic-content.ts).
	 */
	assumeLength(length: number): this {
		this.length = length;
		return this;
	}

	state(): QuickXorHashState {
		return { lanes: Buffer.from(this.lanes).toString('base64'), length: this.length };
	}

	clone(): QuickXorHash {
		return QuickXorHash.fromState(this.state());
	}

	digest(): Buffer {
		const ring = new Uint8Array(WIDTH_BYTES);
		for (let k = 0; k < LANES; k++) {
			const value = this.lanes[k]!;
			if (value === 0) continue;
			const bit = (11 * k) % 160;
			const index = bit >> 3;
			const shift = bit & 7;
			const wide = value << shift; // up to 15 bits: low byte here, the rest in the next byte
			ring[index]! ^= wide & 0xff;
			ring[(index + 1) % WIDTH_BYTES]! ^= wide >> 8;
		}
		let length = BigInt(this.length);
		for (let k = 0; k < 8; k++) {
			ring[12 + k]! ^= Number(length & 0xffn);
			length >>= 8n;
		}
		return Buffer.from(ring);
	}

	digestBase64(): string {
		return this.digest().toString('base64');
	}
}

export function quickXorHashBase64(data: Uint8Array): string {
	return new QuickXorHash().update(data).digestBase64();
}
