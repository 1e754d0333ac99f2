import { hasUnstorableText } from './storable-text.util';

describe('hasUnstorableText', () => {
  it('finds U+0000 in a nested string or key', () => {
    expect(hasUnstorableText({ detail: { tags: [{ Value: 'a\u0000b' }] } })).toBe(true);
    expect(hasUnstorableText({ detail: { 'k\u0000': 1 } })).toBe(true);
  });

  it('finds unpaired surrogates and accepts paired ones', () => {
    expect(hasUnstorableText(['\ud800'])).toBe(true);
    expect(hasUnstorableText({ a: 'x\udc00' })).toBe(true);
    expect(hasUnstorableText({ a: 'emoji \ud83d\ude00 and text' })).toBe(false);
  });

  it('accepts ordinary events, numbers, nulls and a literal backslash-u0000', () => {
    expect(hasUnstorableText({ id: 'e1', detail: { n: 1, ok: true, none: null, text: '\\u0000' } })).toBe(
      false,
    );
  });

  it('walks deep values without recursion', () => {
    let deep: unknown = 'bad\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(hasUnstorableText(deep)).toBe(true);
  });
});
