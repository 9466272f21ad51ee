import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { publicEnv, remoteOrigins } from './config/public-env.js';

const isDev = process.argv.includes('dev');
const env = publicEnv(isDev ? 'development' : 'production');
const remote = remoteOrigins(env);
// Thumbnails and video streams come from OneDrive's pre-authenticated download URLs.
const media = ['self', 'blob:', 'data:', ...remote.media];

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// A single-page app: 200.html is the fallback every static host serves for unknown paths.
		// (fallback: 'index.html' would overwrite the prerendered index; see README.)
		adapter: adapter({ fallback: '200.html', precompress: false, strict: true }),
		files: { serviceWorker: 'src/service-worker' },
		serviceWorker: { register: false },
		csp: {
			mode: 'hash',
			directives: {
				'default-src': ['self'],
				'script-src': ['self', ...(isDev ? ['unsafe-inline'] : [])],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': media,
				'media-src': media,
				'connect-src': ['self', ...remote.connect, ...(isDev ? ['ws://localhost:*'] : [])],
				'worker-src': ['self'],
				'manifest-src': ['self'],
				'font-src': ['self'],
				// MSAL may renew a session in a hidden iframe on the identity host.
				'frame-src': remote.identity.length ? remote.identity : ['none'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self']
			}
		}
	}
};

export default config;
