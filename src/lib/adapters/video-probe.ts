/**
 * Reads a video's duration and size, and captures a poster frame, with the browser's own
 * decoder. Codecs the browser cannot play simply yield nothing; the upload goes on regardless.
 */
import type { VideoMeta } from '$lib/db/reeldrive-db';

export interface VideoProbe {
	meta: VideoMeta | null;
	poster: Blob | null;
}

const PROBE_TIMEOUT_MS = 8_000;
const POSTER_WIDTH = 480;

export async function probeVideo(file: Blob): Promise<VideoProbe> {
	const url = URL.createObjectURL(file);
	const video = document.createElement('video');
	video.muted = true;
	video.preload = 'metadata';
	video.playsInline = true;
	try {
		await withTimeout(
			new Promise<void>((resolve, reject) => {
				video.onloadedmetadata = () => resolve();
				video.onerror = () => reject(new Error('unreadable'));
				video.src = url;
			})
		);
		const meta: VideoMeta = {
			durationMs: Number.isFinite(video.duration) ? Math.round(video.duration * 1000) : null,
			width: video.videoWidth || null,
			height: video.videoHeight || null
		};
		let poster: Blob | null = null;
		try {
			video.currentTime = Math.min(1, (video.duration || 0) / 2);
			await withTimeout(new Promise<void>((resolve) => (video.onseeked = () => resolve())));
			poster = await capture(video);
		} catch {
			poster = null;
		}
		return { meta, poster };
	} catch {
		return { meta: null, poster: null };
	} finally {
		video.removeAttribute('src');
		video.load();
		URL.revokeObjectURL(url);
	}
}

function capture(video: HTMLVideoElement): Promise<Blob | null> {
	if (!video.videoWidth || !video.videoHeight) return Promise.resolve(null);
	const scale = Math.min(1, POSTER_WIDTH / video.videoWidth);
	const canvas = document.createElement('canvas');
	canvas.width = Math.round(video.videoWidth * scale);
	canvas.height = Math.round(video.videoHeight * scale);
	canvas.getContext('2d')?.drawImage(video, 0, 0, canvas.width, canvas.height);
	return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob), 'image/jpeg', 0.8));
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
	return Promise.race([
		promise,
		new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS))
	]);
}
