import type { IncomingHttpHeaders } from 'node:http';

/** A request as the API handlers see it: plain data, so handlers are testable without sockets. */
export interface ApiRequest {
	method: string;
	/** Path below the service prefix, e.g. "/products" for /rest/v1/products. */
	path: string;
	search: URLSearchParams;
	headers: IncomingHttpHeaders;
	body: string;
}

export interface ApiResponse {
	status: number;
	headers: Record<string, string>;
	body?: string;
}

export function header(request: ApiRequest, name: string): string | undefined {
	const value = request.headers[name.toLowerCase()];
	return Array.isArray(value) ? value.join(', ') : value;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
	return {
		status,
		headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
		body: JSON.stringify(body)
	};
}

/** The bearer token of an Authorization header, '' for "Bearer " alone, undefined when absent. */
export function bearerToken(request: ApiRequest): string | undefined {
	const value = header(request, 'authorization');
	if (value === undefined) return undefined;
	const match = /^Bearer\s*(.*)$/i.exec(value.trim());
	return match ? match[1]!.trim() : '';
}
