// Every test of the upload core again, with a file that hands out Blobs, as the browser's File
// and the kept pieces do: fragments then go out as Blobs and the bytes are read only to hash them.
import './test-fakes-blobs';
import './upload-core.test';
