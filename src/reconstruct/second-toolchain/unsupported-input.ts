// Input the second toolchain does not model, or that no builder could have
// built (a control file dpkg-source would refuse, a dependency or
// architecture field it cannot parse, a tree it cannot read): the toolchain
// declines it (`supported: false` with the message) rather than disagree.
export class UnsupportedInput extends Error {
  override readonly name = 'UnsupportedInput';
}
