// The face of interpret/: what the rest of src/ may import from it. A file outside
// interpret/ imports from here, never from the folder's other files (the lint's
// boundaries rule and test/architecture/module-map.test.ts check it).
export { MAX_CHANGELOG_BYTES, parseChangelog } from './changelog.js';
export { interpretTag, needsUpstreamTag } from './interpret.js';
export { parseTagMessage } from './tag-message.js';
export { DISTRO, decodeTagName, likelyUpstreamTags, mangleVersion, tagNameForVersion } from './tag-name.js';
