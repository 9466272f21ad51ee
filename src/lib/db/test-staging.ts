/** Test support: keeps a whole video in the ledger's pieces, as the page's FileStager would. */
import { STAGE_CHUNK_BYTES, type JobLedger } from './job-ledger';

export async function keepWhole(ledger: JobLedger, jobId: string, bytes: Blob): Promise<void> {
	for (let start = 0; start < bytes.size; start += STAGE_CHUNK_BYTES) {
		await ledger.stageChunk(jobId, start, bytes.slice(start, start + STAGE_CHUNK_BYTES));
	}
}
