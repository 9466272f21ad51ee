/**
 * Reading a Blob's bytes into memory the caller already owns. `blob.arrayBuffer()` allocates a
 * new buffer on every call; hashing a 1 GiB upload 4 MiB at a time that way leaves hundreds of
 * megabytes of dead buffers for the collector, and how many it has freed at any moment decides
 * the tab's peak memory. A BYOB reader of the Blob's byte stream fills one buffer instead,
 * handing it back (transferred) after every read.
 */

/**
 * Fills `buffer` from the start with all of `blob` (which must fit) and returns a view of the
 * bytes. The view's `.buffer` is the one to pass next time: a BYOB read transfers `buffer`, which
 * is detached afterwards. Where the platform's Blob stream is not a byte stream, or `buffer` is
 * too small, the bytes come in a new buffer, as from `arrayBuffer()`. Rejects as reading the Blob
 * does (a file changed on disk, storage gone); `buffer` may then be detached.
 */
export async function readBlobInto(blob: Blob, buffer: ArrayBuffer): Promise<Uint8Array> {
	const length = blob.size;
	if (length > buffer.byteLength || length === 0) return new Uint8Array(await blob.arrayBuffer());
	let reader: ReadableStreamBYOBReader;
	try {
		reader = blob.stream().getReader({ mode: 'byob' });
	} catch {
		return new Uint8Array(await blob.arrayBuffer());
	}
	let current = buffer;
	let filled = 0;
	try {
		while (filled < length) {
			const { done, value } = await reader.read(new Uint8Array(current, filled, length - filled));
			if (done || !value) break;
			current = value.buffer as ArrayBuffer;
			filled += value.byteLength;
		}
	} finally {
		// Whatever the stream still holds (nothing, when all was read) is not wanted.
		reader.cancel().catch(() => undefined);
	}
	if (filled !== length) throw new Error(`short read: ${filled} of ${length} bytes`);
	return new Uint8Array(current, 0, length);
}
