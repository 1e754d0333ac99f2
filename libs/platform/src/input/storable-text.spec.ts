import { findUnstorableText, isStorableText } from './storable-text';

describe('findUnstorableText', () => {
  it('finds U+0000 in a nested string or key, and says where', () => {
    expect(findUnstorableText({ detail: { tags: [{ Value: 'a\u0000b' }] } })).toBe('detail.tags.0.Value');
    expect(findUnstorableText({ detail: { 'k\u0000': 1 } })).toBe('detail');
    expect(findUnstorableText('a\u0000')).toBe('');
  });

  it('finds unpaired surrogates and accepts paired ones', () => {
    expect(findUnstorableText(['\ud800'])).toBe('0');
    expect(findUnstorableText({ a: 'x\udc00' })).toBe('a');
    expect(findUnstorableText({ a: 'emoji \ud83d\ude00 and text' })).toBeUndefined();
    expect(isStorableText('\ud83d\ude00')).toBe(true);
    expect(isStorableText('\ude00\ud83d')).toBe(false);
  });

  it('accepts ordinary values, numbers, nulls and a literal backslash-u0000', () => {
    expect(findUnstorableText({ id: 'e1', detail: { n: 1, ok: true, none: null, text: '\\u0000' } })).toBe(
      undefined,
    );
  });

  it('walks deep values without recursion', () => {
    let deep: unknown = 'bad\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableText(deep)).toMatch(/^0(\.0){99}…$/);
  });
});
