/** Graph's error body: { error: { code, message, innerError: { code?, date, request-id, client-request-id } } }. */
import type { ServerResponse } from 'node:http';
import { sendJson, type Headers } from '../http-util';

export class GraphError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly innerCode?: string,
		readonly headers: Headers = {}
	) {
		super(message);
	}
}

export interface RequestIds {
	requestId: string;
	clientRequestId: string;
}

/** Graph writes the inner date without a zone or fraction. */
export function graphDate(ms: number): string {
	return new Date(ms).toISOString().replace(/\.\d+Z$/, '');
}

export function sendGraphError(res: ServerResponse, error: GraphError, ids: RequestIds, nowMs: number, headers: Headers = {}): void {
	const innerError: Record<string, string> = {};
	if (error.innerCode) innerError.code = error.innerCode;
	innerError.date = graphDate(nowMs);
	innerError['request-id'] = ids.requestId;
	innerError['client-request-id'] = ids.clientRequestId;
	sendJson(res, error.status, { error: { code: error.code, message: error.message, innerError } }, { ...headers, ...error.headers });
}

/** Upload and download hosts answer with the bare shape, without request ids. */
export function sendContentError(res: ServerResponse, error: GraphError, headers: Headers = {}): void {
	const body: { error: Record<string, unknown> } = { error: { code: error.code, message: error.message } };
	if (error.innerCode) body.error.innerError = { code: error.innerCode };
	sendJson(res, error.status, body, { ...headers, ...error.headers });
}

export const notFound = (what = 'The resource could not be found.') => new GraphError(404, 'itemNotFound', what);
export const invalidRequest = (message: string, inner?: string) => new GraphError(400, 'invalidRequest', message, inner);

/** Default body for a scheduled fault's status. */
export function faultError(status: number, code?: string, retryAfter?: number): GraphError {
	const headers: Headers = retryAfter !== undefined ? { 'Retry-After': retryAfter } : {};
	if (code) return new GraphError(status, code, 'Injected fault.', undefined, headers);
	if (status === 429) return new GraphError(429, 'activityLimitReached', 'The request has been throttled', 'throttledRequest', headers);
	if (status === 503) return new GraphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable.', undefined, headers);
	if (status === 507) return new GraphError(507, 'quotaLimitReached', 'Insufficient Space Available', undefined, headers);
	if (status === 401) return new GraphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.', undefined, headers);
	if (status === 404) return new GraphError(404, 'itemNotFound', 'The resource could not be found.', undefined, headers);
	if (status >= 500) return new GraphError(status, 'generalException', 'An unspecified error has occurred.', undefined, headers);
	return new GraphError(status, 'invalidRequest', 'Injected fault.', undefined, headers);
}
