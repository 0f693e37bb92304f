import { canonicalJson as verifierCanonicalJson } from '@ipt/audit-verifier';
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every level and leaves no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('sorts integer-like keys as strings, not in the order JavaScript enumerates them', () => {
    expect(canonicalJson({ 9: 'a', 10: 'b', b: 'c' })).toBe('{"10":"b","9":"a","b":"c"}');
  });

  it('leaves out undefined members, as the stores do when they serialise', () => {
    expect(canonicalJson({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
  });

  it('refuses values without a JSON form instead of hashing something else', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });

  it("gives the offline verifier's bytes for stored JSON, unicode included", () => {
    const value = JSON.parse(
      '{"é":"\\u2028 ünï","a":[1.5,-0,1e21,"\\"q\\""],"Z":{"":0},"10":{"2":1,"1":2}}',
    );
    expect(canonicalJson(value)).toBe(verifierCanonicalJson(value));
  });
});
