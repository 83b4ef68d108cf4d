// Defaults written once, in a module light enough for the CLI's help text
// (no schema library): the configuration schema and every command use these.

/** The Debian mirror of every default: keyring packages, Sources indexes, the archive watcher. */
export const DEFAULT_MIRROR = 'https://deb.debian.org/debian';

/** The keyring that signs a Debian mirror's InRelease files (package debian-archive-keyring). */
export const DEFAULT_ARCHIVE_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
