// Reeldrive is a single-page app served as static files: nothing renders on a server.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';
