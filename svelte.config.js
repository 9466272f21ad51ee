import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { publicEnv, remoteOrigins } from './config/public-env.js';

const isDev = process.argv.includes('dev');
const env = publicEnv(isDev ? 'development' : 'production');
const remote = remoteOrigins(env);
/** Origins computed from settings are CSP sources; the cast only tells TypeScript so. */
const sources = (/** @type {string[]} */ list) => /** @type {NonNullable<NonNullable<import('@sveltejs/kit').KitConfig['csp']>['directives']>['img-src']} */ (list);
// Thumbnails and video streams come from OneDrive's pre-authenticated download URLs.
const media = sources(['self', 'blob:', 'data:', ...remote.media]);

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// A single-page app: 200.html is the fallback every static host serves for unknown paths.
		// (fallback: 'index.html' would overwrite the prerendered index; see README.)
		adapter: adapter({ fallback: '200.html', precompress: false, strict: true }),
		files: { serviceWorker: 'src/service-worker' },
		serviceWorker: { register: false },
		// SvelteKit's version marker (the build time unless REELDRIVE_VERSION names one); a new one
		// makes browsers install the new service worker. The chaos run builds twice with two markers.
		...(process.env.REELDRIVE_VERSION ? { version: { name: process.env.REELDRIVE_VERSION } } : {}),
		csp: {
			mode: 'hash',
			directives: {
				'default-src': ['self'],
				'script-src': sources(['self', ...(isDev ? ['unsafe-inline'] : [])]),
				'style-src': ['self', 'unsafe-inline'],
				'img-src': media,
				'media-src': media,
				'connect-src': sources(['self', ...remote.connect, ...(isDev ? ['ws://localhost:*'] : [])]),
				'worker-src': ['self'],
				'manifest-src': ['self'],
				'font-src': ['self'],
				// MSAL's silent sign-in: a hidden iframe on the identity host, which Microsoft then
				// redirects to the app's own return page. frame-src is checked again on that redirect,
				// so the app's origin must be listed too, or the frame never gets its answer.
				'frame-src': sources(['self', ...remote.identity]),
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self']
			}
		}
	}
};

export default config;
