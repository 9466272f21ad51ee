// Imported first by upload-core.blob.test.ts: from here on, harness() gives the core BlobBytes.
import { harnessOptions } from './test-fakes';

harnessOptions.blobs = true;
