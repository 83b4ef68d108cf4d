// bind: what ties the upload to the tag. Layer 3 (the .dsc's service
// signature and the fields tag2upload appends) and the rules that set one
// layer's findings against another's: the Dgit commit judged against
// dgit-repos' pseudo-merge, the two toolchains' agreement, the rebuild's tag
// object, and a refused unpacking settled by the rebuild.
export { bindUpload, DGIT_REPOS, taggerIdentBytes, type BindInput, type Binding } from './bind-upload.js';
export { builtTagProblem, settleUnpackRefusal, type SettledRefusal } from './bits-verdict.js';
export { checkPseudomerge, explainDgitView, type DgitViewInput, type PseudomergeInput, type PseudomergeResult } from './dgit-view.js';
export { judgeToolchains, type SecondToolchainOutcome, type ToolchainJudgement } from './toolchains.js';
