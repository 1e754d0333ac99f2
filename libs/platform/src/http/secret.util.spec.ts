import { bearerToken, Secret } from './secret.util';

describe('Secret', () => {
  it('matches only the exact secret, whatever the lengths, and never a missing one', () => {
    const secret = new Secret('s3cret-token-value');
    expect(secret.matches('s3cret-token-value')).toBe(true);
    expect(secret.matches('s3cret-token-valuE')).toBe(false);
    expect(secret.matches('s3cret')).toBe(false);
    expect(secret.matches(undefined)).toBe(false);
    expect(new Secret(undefined).matches('anything')).toBe(false);
    expect(new Secret(undefined).configured).toBe(false);
  });
});

describe('bearerToken', () => {
  it('reads the token of a Bearer authorization header only', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
