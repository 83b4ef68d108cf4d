import { describe, expect, it } from 'vitest';
import { splitVersion, upstreamVersion, versionProblem } from '../../src/interpret/debian-version.js';

describe('versionProblem (Dpkg::Version::version_check)', () => {
  it.each(['1.0', '1.0-1', '1:2.0~rc1-1', '0:1.0-1', '2.0+dfsg-0.1', '1.0-1-2', '1:2:3-4', '1.0~'])('accepts %s', (v) => {
    expect(versionProblem(v)).toBeUndefined();
  });
  it.each([
    ['', 'version number cannot be empty'],
    [':1.0', 'epoch part of the version number cannot be empty'],
    ['1:-1', 'upstream version cannot be empty'],
    ['1.0-', 'revision cannot be empty'],
    ['a1.0', 'version number does not start with digit'],
    ['1.0_1', "version number contains illegal character '_'"],
    ['1.0 1', "version number contains illegal character ' '"],
    ['a:1.0', "epoch part of the version number is not a number: 'a'"],
  ])('rejects %j: %s', (v, msg) => {
    expect(versionProblem(v)).toBe(msg);
  });
});

describe('splitVersion', () => {
  it('takes the epoch before the first colon and the revision after the last hyphen', () => {
    expect(splitVersion('1:2:3-4-5')).toEqual({ epoch: '1', upstream: '2:3-4', revision: '5' });
    expect(splitVersion('1.0')).toEqual({ upstream: '1.0' });
    expect(upstreamVersion('1:2.0~rc1-1')).toBe('2.0~rc1');
  });
});
