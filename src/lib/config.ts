/**
 * Reeldrive's public configuration, read once from the PUBLIC_* settings inlined at build time.
 * Nothing here is secret: a single-page app can only hold public values. The checks themselves
 * live in config-rules.ts, which the production build uses too.
 */
import { parsePublicConfig, type ConfigResult } from './config-rules';

export * from './config-rules';

/** The configuration this build was made with. */
export const publicConfig: ConfigResult = parsePublicConfig(__REELDRIVE_PUBLIC_ENV__);
