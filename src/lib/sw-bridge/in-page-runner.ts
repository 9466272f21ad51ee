/**
 * Uploads without a service worker (blocked by a policy or a private window, or a worker that
 * failed to register): the same scheduler and upload core run inside the page, speaking the same
 * messages as the worker, so the rest of the page cannot tell the difference, except that
 * uploads need this page to stay open. Tokens come straight from this page's MSAL.
 */
import { JobLedger } from '$lib/db/job-ledger';
import { getDb } from '$lib/db/reeldrive-db';
import { composeScheduler } from '$lib/upload-runner/compose';
import { platformLocks } from '$lib/upload-runner/job-locks';
import { MESSAGE_BUDGET_MS } from '$lib/upload-runner/background-sync';
import type { UploadScheduler } from '$lib/upload-runner/scheduler';
import { PROTOCOL_VERSION, type PageToWorker, type WorkerToPage } from './protocol';
import type { UploadChannel, WorkerClientHandlers } from './worker-client';

export class InPageRunner implements UploadChannel {
	readonly where = 'page';
	#handlers: WorkerClientHandlers | null = null;
	readonly #scheduler: UploadScheduler;
	readonly #attachFile: (jobId: string, file: Blob) => void;

	constructor(ledger = new JobLedger(getDb())) {
		const runner = composeScheduler({
			ledger,
			locks: platformLocks(globalThis),
			isOnline: () => navigator.onLine,
			pagePresent: async () => true,
			tokensFor: (record) => ({
				getToken: async ({ forceRefresh }) => {
					const reply = await this.#handlers?.tokenRequest({
						v: PROTOCOL_VERSION,
						type: 'token-request',
						appUserId: record.appUserId,
						microsoftAccountId: record.microsoftAccountId,
						forceRefresh
					});
					if (reply?.kind === 'token') return { kind: 'token', accessToken: reply.accessToken };
					return reply?.kind === 'sign-in-required' ? { kind: 'sign-in-required' } : { kind: 'no-page' };
				}
			}),
			publish: (message) => this.#publish(message)
		});
		this.#scheduler = runner.scheduler;
		this.#attachFile = runner.attachFile;
	}

	listen(handlers: WorkerClientHandlers): void {
		this.#handlers = handlers;
	}

	#publish(message: WorkerToPage): void {
		// As from a worker: after the current task, never inside the caller's stack.
		queueMicrotask(() => this.#handlers?.message(message));
	}

	async post(message: PageToWorker): Promise<boolean> {
		switch (message.type) {
			case 'active-user':
				await this.#scheduler.setActiveUser(message.appUserId ? { appUserId: message.appUserId, microsoftAccountId: message.microsoftAccountId } : null);
				break;
			case 'command':
				await this.#scheduler.command(message.jobId, message.command);
				break;
			case 'attach-file':
				this.#attachFile(message.jobId, message.file);
				break;
			case 'pump':
				break;
		}
		void this.#scheduler.pump(MESSAGE_BUDGET_MS).then((report) =>
			this.#publish({ v: PROTOCOL_VERSION, type: 'pump-finished', runnable: report.readyNow, progressed: report.progressed, dueAt: report.dueAt })
		);
		return true;
	}

	/** Nothing wakes a page: the `online` event and the page's own timers do that job. */
	async registerSync(): Promise<void> {}
}
