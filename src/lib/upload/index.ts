/** The upload core's public surface: what the service-worker host and the UI edge import. */
export type * from './ports';
export type { UploadEvent, SessionRestartReason } from './events';
export { UploadError, BytesNotHereError, StorageFullError, ERROR_CODES, type UploadErrorCode, type UploadErrorInfo, type ErrorContext } from './errors';
export {
	createUploadJob,
	canTransition,
	isFinished,
	isUploadJobState,
	transition,
	withDefaults,
	DEFAULT_GRAPH_BASE_URL,
	type UploadJobState,
	type UploadStatus,
	type PauseReason,
	type ConflictBehavior,
	type UploadTarget,
	type UploadSession,
	type UploadedItem,
	type NewUploadJob,
	type ExistingCopy,
	type DuplicateCheck
} from './job';
export { UploadCore, type SliceBounds, type SliceResult, type UploadCoreOptions } from './upload-core';
export { QuickXorHash, quickXorHash, type QuickXorHashState } from './quickxorhash';
export * from './fragment-plan';
export { sanitiseOneDriveName, MAX_NAME_LENGTH, type NameFix, type SanitisedName } from './onedrive-names';
export { checkUploadable, sniffVideoContainer, MAX_FILE_SIZE, SNIFF_BYTES, type VideoContainer, type UploadableFile } from './file-checks';
export { describeUploadError, describeFailure, describePause, describeNameFixes, describeCopy } from './messages';
