import { DEFAULT_MAX_BYTES, parseJsonSafely } from './safe-json.parser';

describe('parseJsonSafely', () => {
  it('parses a JSON document', () => {
    expect(parseJsonSafely('{"a":[1,"two",null,true]}')).toEqual({
      ok: true,
      value: { a: [1, 'two', null, true] },
    });
  });

  it('parses bytes and strips a UTF-8 byte-order mark', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"π":"✓"}', 'utf8')]);
    expect(parseJsonSafely(bytes)).toEqual({ ok: true, value: { π: '✓' } });
    expect(parseJsonSafely('\ufeff{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
  });

  describe('size', () => {
    it('defaults to 256 KiB', () => {
      expect(DEFAULT_MAX_BYTES).toBe(262_144);
      const fits = `{"p":"${'x'.repeat(DEFAULT_MAX_BYTES - 8)}"}`;
      expect(Buffer.byteLength(fits)).toBe(DEFAULT_MAX_BYTES);
      expect(parseJsonSafely(fits).ok).toBe(true);
      expect(parseJsonSafely(`${fits} `)).toMatchObject({ ok: false, reason: 'payload_too_large' });
    });

    it('counts UTF-8 bytes, not characters', () => {
      const text = `"${'é'.repeat(60)}"`; // 62 characters, 122 bytes
      expect(parseJsonSafely(text, { maxBytes: 100 })).toMatchObject({
        ok: false,
        reason: 'payload_too_large',
      });
      expect(parseJsonSafely(text, { maxBytes: 122 }).ok).toBe(true);
    });

    it('checks byte input before decoding it', () => {
      expect(parseJsonSafely(new Uint8Array(11).fill(0x20), { maxBytes: 10 })).toMatchObject({
        ok: false,
        reason: 'payload_too_large',
      });
    });
  });

  describe('malformed input', () => {
    it.each(['', '{', '{"a":}', 'undefined', "{'a':1}", '{"a":1}{"b":2}', 'NaN'])('rejects %p', (text) => {
      expect(parseJsonSafely(text)).toMatchObject({ ok: false, reason: 'malformed_json' });
    });

    it('rejects bytes that are not UTF-8', () => {
      expect(parseJsonSafely(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]))).toMatchObject({
        ok: false,
        reason: 'malformed_json',
        message: 'body is not valid UTF-8',
      });
    });

    it('rejects input that is neither string nor bytes', () => {
      expect(parseJsonSafely(42 as unknown as string)).toMatchObject({ ok: false, reason: 'malformed_json' });
    });
  });

  describe('forbidden keys', () => {
    it.each([
      ['__proto__ at the top', '{"__proto__":{"polluted":true}}', '__proto__'],
      ['constructor deep inside', '{"a":{"b":[{"c":{"constructor":{"prototype":{"x":1}}}}]}}', 'constructor'],
      ['prototype in an array element', '[1,{"prototype":2}]', 'prototype'],
      [
        '__proto__ spelled with unicode escapes',
        '{"detail":{"\\u005f_proto__":{"polluted":true}}}',
        '__proto__',
      ],
      ['constructor with an escaped letter', '{"\\u0063onstructor":1}', 'constructor'],
    ])('rejects %s', (_name, text, key) => {
      expect(parseJsonSafely(text)).toEqual({
        ok: false,
        reason: 'forbidden_key',
        message: `forbidden key "${key}" in document`,
      });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('accepts the forbidden words as values and inside longer keys', () => {
      const text =
        '{"description":"uses the constructor and prototype of __proto__","my_prototype":1,"constructors":[]}';
      expect(parseJsonSafely(text).ok).toBe(true);
    });
  });

  it('survives very deep nesting without overflowing the stack', () => {
    const depth = 100_000;
    const text = `${'['.repeat(depth)}{"constructor":1}${']'.repeat(depth)}`;
    expect(parseJsonSafely(text, { maxBytes: 1_000_000 })).toMatchObject({
      ok: false,
      reason: 'forbidden_key',
    });
    expect(parseJsonSafely(`${'['.repeat(depth)}${']'.repeat(depth)}`, { maxBytes: 1_000_000 }).ok).toBe(
      true,
    );
  });
});
