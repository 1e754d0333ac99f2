import { murmur3x64128Hex } from './murmur3';

describe('murmur3x64128Hex', () => {
  // MurmurHash3_x64_128 reference values (h1, h2): "hello" = cbd8a7b341bd9b02, 5b1e906a48ae1d19 and the
  // fox = e34bbc7bbc071b6c, 7a433ca9c49a9347 (Guava's own test vector); Guava prints each half little-endian.
  it.each([
    ['', '00000000000000000000000000000000'],
    ['hello', '029bbd41b3a7d8cb191dae486a901e5b'],
    ['The quick brown fox jumps over the lazy dog', '6c1b07bc7bbc4be347939ac4a93c437a'],
  ])('hashes %j as Guava murmur3_128 does', (input, expected) => {
    expect(murmur3x64128Hex(input)).toBe(expected);
  });
});
