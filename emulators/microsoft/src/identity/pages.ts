/** The sign-in, account-picker, consent and signed-out pages: plain HTML forms that need no script. */
import { escapeHtml } from '../http-util';

const STYLE = `body{font-family:system-ui,sans-serif;background:#f2f2f2;margin:0}main{max-width:26rem;margin:4rem auto;background:#fff;padding:2rem;box-shadow:0 2px 6px #0002}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=email],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}
.error{color:#a4262c;background:#fde7e9;padding:.5rem}.actions{margin-top:1.2rem;display:flex;gap:.5rem;justify-content:flex-end}button{padding:.5rem 1.2rem}
.note{color:#555;font-size:.85rem}ul{padding-left:1.2rem}.account{display:block;width:100%;text-align:left;margin:.3rem 0}`;

function page(title: string, body: string): string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body><main>${body}<p class="note">Local Microsoft identity emulator. No real account is used.</p></main></body></html>`;
}

export function signInPage(args: { action: string; ctx: string; appName: string; login?: string; accounts: string[]; error?: string }): string {
	const options = args.accounts.map((email) => `<option value="${escapeHtml(email)}">`).join('');
	return page(
		'Sign in to your account',
		`<h1>Sign in</h1><p>to continue to <strong>${escapeHtml(args.appName)}</strong></p>
${args.error ? `<p class="error" role="alert">${escapeHtml(args.error)}</p>` : ''}
<form method="post" action="${escapeHtml(args.action)}">
<input type="hidden" name="ctx" value="${escapeHtml(args.ctx)}"><input type="hidden" name="step" value="signin">
<label for="login">Email</label><input type="email" id="login" name="login" list="known-accounts" autocomplete="username" value="${escapeHtml(args.login ?? '')}">
<datalist id="known-accounts">${options}</datalist>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password">
<div class="actions"><button type="submit" name="action" value="cancel" formnovalidate>Cancel</button><button type="submit" name="action" value="signin">Sign in</button></div>
</form>`
	);
}

export function pickAccountPage(args: { action: string; ctx: string; appName: string; accounts: Array<{ id: string; email: string; name: string }> }): string {
	const buttons = args.accounts
		.map((a) => `<button class="account" type="submit" name="account" value="${escapeHtml(a.id)}">${escapeHtml(a.name)}<br><small>${escapeHtml(a.email)}</small></button>`)
		.join('');
	return page(
		'Pick an account',
		`<h1>Pick an account</h1><p>to continue to <strong>${escapeHtml(args.appName)}</strong></p>
<form method="post" action="${escapeHtml(args.action)}">
<input type="hidden" name="ctx" value="${escapeHtml(args.ctx)}"><input type="hidden" name="step" value="pick"><input type="hidden" name="action" value="pick">
${buttons}</form>
<form method="post" action="${escapeHtml(args.action)}"><input type="hidden" name="ctx" value="${escapeHtml(args.ctx)}"><input type="hidden" name="step" value="pick">
<div class="actions"><button type="submit" name="action" value="cancel">Cancel</button><button type="submit" name="action" value="other">Use another account</button></div></form>`
	);
}

export function consentPage(args: { action: string; ctx: string; appName: string; email: string; scopes: string[] }): string {
	const items = args.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('');
	return page(
		'Permissions requested',
		`<h1>Permissions requested</h1><p><strong>${escapeHtml(args.appName)}</strong> wants to, for ${escapeHtml(args.email)}:</p><ul>${items}</ul>
<form method="post" action="${escapeHtml(args.action)}">
<input type="hidden" name="ctx" value="${escapeHtml(args.ctx)}"><input type="hidden" name="step" value="consent">
<div class="actions"><button type="submit" name="action" value="cancel">Cancel</button><button type="submit" name="action" value="accept">Accept</button></div>
</form>`
	);
}

/**
 * "Stay signed in?", asked after a password sign-in as Entra's sign-in page does. Yes keeps the
 * browser session across browser restarts (a persistent cookie); No keeps it until the browser
 * closes. Like the other forms it carries only the interaction's `ctx`, never the request itself.
 */
export function staySignedInPage(args: { action: string; ctx: string; email: string; lifetime: string }): string {
	return page(
		'Stay signed in?',
		`<p>${escapeHtml(args.email)}</p><h1 id="kmsi-title">Stay signed in?</h1>
<form method="post" action="${escapeHtml(args.action)}" aria-labelledby="kmsi-title" aria-describedby="kmsi-help">
<input type="hidden" name="ctx" value="${escapeHtml(args.ctx)}"><input type="hidden" name="step" value="kmsi">
<p id="kmsi-help">Do this to reduce the number of times you are asked to sign in. Yes keeps you signed in on this browser after it closes; the sign-in then ends after ${escapeHtml(args.lifetime)} without use. Choose No on a shared computer.</p>
<div class="actions"><button type="submit" name="action" value="no">No</button><button type="submit" name="action" value="yes">Yes</button></div>
</form>`
	);
}

export function messagePage(title: string, message: string): string {
	return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}

/** response_mode=form_post: a form that posts itself (a button remains for scriptless clients). */
export function formPostPage(target: string, params: Record<string, string | undefined>): string {
	const fields = Object.entries(params)
		.filter((e): e is [string, string] => e[1] !== undefined)
		.map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
		.join('');
	return `<!doctype html><html><head><meta charset="utf-8"><title>Working...</title></head>
<body onload="document.forms[0].submit()"><form method="post" action="${escapeHtml(target)}">${fields}<noscript><button type="submit">Continue</button></noscript></form></body></html>`;
}
