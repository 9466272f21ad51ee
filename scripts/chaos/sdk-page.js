// Loaded into a page next to @microsoft/microsoft-graph-client 3.0.7's browser bundle
// (lib/graph-js-sdk.js): uploads one picked file with its OneDriveLargeFileUploadTask, at the
// task's defaults, through the client's own RetryHandler (429/503/504 are retried by the client;
// the task itself retries no fragment). Plain JavaScript so that nothing rewrites it.
//
// One small middleware stands in for the client's AuthenticationHandler, because the client
// treats only "https://" strings as absolute URLs and sends tokens only to https hosts: it
// un-glues the http upload URL from the Graph base URL and adds the token for the Graph origin
// only, never for the upload origin (as emulators/microsoft/tests/graph-client.test.ts does).
window.chaosSdkUpload = async function (fileIndex, token, graphBase, folder) {
	const G = window.MicrosoftGraph;
	const file = document.getElementById('chaos-files').files[fileIndex];
	const graphOrigin = new URL(graphBase).origin;
	const routing = {
		next: null,
		execute: async function (context) {
			let url = typeof context.request === 'string' ? context.request : context.request.url;
			const glued = url.indexOf('/http', graphBase.length - 1);
			if (url.startsWith(graphBase) && glued >= 0 && /^\/https?:\/\//.test(url.slice(glued))) url = url.slice(glued + 1);
			context.request = url;
			const options = context.options || (context.options = {});
			const headers = new Headers(options.headers || {});
			headers.delete('Authorization');
			if (new URL(url).origin === graphOrigin) headers.set('Authorization', 'Bearer ' + token);
			options.headers = Object.fromEntries(headers);
			await this.next.execute(context);
		},
		setNext: function (next) {
			this.next = next;
		}
	};
	const client = G.Client.initWithMiddleware({
		baseUrl: graphBase,
		defaultVersion: 'v1.0',
		middleware: [routing, new G.RetryHandler(new G.RetryHandlerOptions()), new G.HTTPMessageHandler()]
	});
	try {
		const task = await G.OneDriveLargeFileUploadTask.create(client, file, { fileName: file.name, path: folder, conflictBehavior: 'fail' });
		const result = await task.upload();
		const item = result && (result.responseBody || result);
		return { ok: true, itemId: item && item.id };
	} catch (error) {
		const said = error && (error.message || error.code || error.statusCode);
		return { ok: false, error: (said ? String(said) : JSON.stringify(error) || String(error)).slice(0, 200) };
	}
};
