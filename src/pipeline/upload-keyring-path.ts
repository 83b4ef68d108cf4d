// Where Debian's debian-tag2upload-keyring package installs the tag2upload
// service key: the default upload keyring, named apart from the pipeline so
// that --help can show it without loading the pipeline.
export const INSTALLED_UPLOAD_KEYRING = '/usr/share/keyrings/debian-tag2upload.pgp';
