import type { ByteSource } from '$lib/upload';

/** Reads byte ranges of a stored Blob (the video's bytes kept in IndexedDB). */
export class BlobByteSource implements ByteSource {
	constructor(
		private readonly blob: Blob,
		readonly name: string
	) {}

	get size(): number {
		return this.blob.size;
	}

	async read(start: number, end: number): Promise<Uint8Array> {
		return new Uint8Array(await this.blob.slice(start, end).arrayBuffer());
	}
}
