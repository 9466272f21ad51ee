// The page side of bench/upload-compare.ts, bundled for the browser and served from the app's
// origin (/_bench/upload.html). It uploads an in-memory video-sized Blob to upload sessions the
// bench created, in one of three ways chosen by the query string, and nothing else:
//   ceiling  a minimal loop of PUTs, fragment sizes given by `plan` (Reeldrive's own sequence)
//   sdk3     @microsoft/microsoft-graph-client 3.x OneDriveLargeFileUploadTask, rangeSize `slice`
//   sdkcore  @microsoft/msgraph-sdk-core LargeFileUploadTask, maxSliceSize `slice` (0: its default)
// No automation is attached to the browser; the bench reads progress from the emulator. The
// outcome is written to the title and the console (Chromium logs it to stderr).
import { Client, FileUpload, OneDriveLargeFileUploadTask, RetryHandler, RetryHandlerOptions, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { AnonymousAuthenticationProvider, type ParseNode, type Parsable } from '@microsoft/kiota-abstractions';
import { DefaultRequestAdapter } from '@microsoft/kiota-bundle';
import { LargeFileUploadTask } from '@microsoft/msgraph-sdk-core';

const query = new URLSearchParams(location.search);
const variant = query.get('variant') ?? 'ceiling';
const size = Number(query.get('size'));
const urls = (query.get('urls') ?? '').split(' ').filter(Boolean);
const plan = (query.get('plan') ?? '10485760').split(',').map(Number);
const slice = Number(query.get('slice') ?? 0);

/**
 * The same bytes for every variant: an 8 MiB pseudo-random block repeated up to `bytes`, written
 * to a file in the origin's private file system. Its File is disk-backed, like a picked video (a
 * 1 GiB Blob built in memory makes Chromium's fetches fail with "Failed to fetch").
 */
async function makeVideo(bytes: number): Promise<File> {
	const block = new Uint8Array(8 * 1024 * 1024);
	let x = 2463534242;
	for (let i = 0; i < block.length; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		block[i] = x & 0xff;
	}
	const folder = await navigator.storage.getDirectory();
	const handle = await folder.getFileHandle('bench-video.mp4', { create: true });
	const writable = await handle.createWritable();
	for (let at = 0; at < bytes; at += block.length) await writable.write(at + block.length <= bytes ? block : block.subarray(0, bytes - at));
	await writable.close();
	return handle.getFile();
}

async function ceiling(url: string, video: Blob): Promise<void> {
	let step = 0;
	for (let at = 0; at < video.size; ) {
		// Reeldrive's sizes, kept to whole 320 KiB units (a resent prefix can leave an odd one).
		const unit = 320 * 1024;
		const planned = Math.max(unit, Math.floor(plan[Math.min(step++, plan.length - 1)]! / unit) * unit);
		const length = Math.min(planned, video.size - at);
		const response = await fetch(url, {
			method: 'PUT',
			headers: { 'Content-Range': `bytes ${at}-${at + length - 1}/${video.size}` },
			body: video.slice(at, at + length)
		});
		await response.arrayBuffer();
		if (!response.ok) throw new Error(`fragment at ${at}: ${response.status}`);
		at += length;
	}
}

/**
 * The 3.x client only takes https:// URLs as absolute (GraphRequest.parsePath): the emulator's
 * http://localhost upload URL is read as a path under https://graph.microsoft.com/v1.0/. This last
 * link of the middleware chain undoes just that and sends the request as the client would to a
 * real https upload URL on another host: without the token, SdkVersion or client-request-id it
 * adds only for Graph hosts. Everything else (slicing, headers, retries, answers) is the SDK's.
 */
const toUploadHost: Middleware = {
	async execute(context: Context) {
		const asked = typeof context.request === 'string' ? context.request : context.request.url;
		const url = /(http:\/\/localhost:\d+\/up\/.*)$/.exec(decodeURI(asked))?.[1] ?? asked;
		const headers = new Headers(context.options?.headers as HeadersInit | undefined);
		for (const name of ['Authorization', 'SdkVersion', 'client-request-id']) headers.delete(name);
		context.response = await fetch(url, { ...context.options, headers });
	},
	setNext() {}
};

async function sdk3(url: string, video: Blob, name: string): Promise<void> {
	const retry = new RetryHandler(new RetryHandlerOptions());
	retry.setNext(toUploadHost);
	const client = Client.initWithMiddleware({ middleware: retry });
	const options = slice > 0 ? { rangeSize: slice } : {};
	const task = new OneDriveLargeFileUploadTask(client, new FileUpload(video, name, video.size), { url, expiry: new Date(Date.now() + 3_600_000) }, options);
	const result = await task.upload();
	if (!result.responseBody) throw new Error('the 3.x task ended without the item');
}

interface SliceAnswer extends Parsable {
	nextExpectedRanges?: string[] | null;
	id?: string | null;
}

async function sdkcore(url: string, video: Blob): Promise<void> {
	const adapter = new DefaultRequestAdapter(new AnonymousAuthenticationProvider());
	const factory = (_node: ParseNode | undefined) => (instance: SliceAnswer = {}) => ({
		nextExpectedRanges: (node: ParseNode) => {
			instance.nextExpectedRanges = node.getCollectionOfPrimitiveValues<string>('string') ?? null;
		},
		id: (node: ParseNode) => {
			instance.id = node.getStringValue() ?? null;
		}
	});
	// A new session says nextExpectedRanges ["0-"]; preview.17 reads the blank end as NaN and ends
	// at once with "Upload failed", so the end is written out, as a caller has to.
	const session = { uploadUrl: url, nextExpectedRanges: [`0-${video.size - 1}`], expirationDateTime: new Date(Date.now() + 3_600_000) };
	const task = new LargeFileUploadTask<SliceAnswer>(adapter, session as Parsable, video.stream(), slice > 0 ? slice : undefined, factory as never, {});
	const result = await task.upload();
	if (!result.itemResponse?.id) throw new Error('the msgraph-sdk-core task ended without the item');
}

async function main(): Promise<void> {
	const video = await makeVideo(size);
	document.title = 'uploading';
	await Promise.all(
		urls.map((url, i) => (variant === 'sdk3' ? sdk3(url, video, `bench-${i}.mp4`) : variant === 'sdkcore' ? sdkcore(url, video) : ceiling(url, video)))
	);
}

main().then(
	() => {
		document.title = 'done';
		console.log('bench-upload: done');
	},
	(error: unknown) => {
		document.title = 'failed';
		console.log(`bench-upload: failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
	}
);
