import { z } from 'zod';
import { CodedError } from '../errors/coded-error';
import { parseInput } from './parse-input';

const schema = z.strictObject({ name: z.string(), tags: z.array(z.string()).optional() });

function failure(body: unknown, at?: string, against: z.ZodType = schema): { code: string; message: string } {
  try {
    parseInput(against, body, at);
  } catch (e) {
    if (e instanceof CodedError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a CodedError');
}

describe('parseInput', () => {
  it('returns the body when it has the shape', () => {
    expect(parseInput(schema, { name: 'a', tags: ['x'] })).toEqual({ name: 'a', tags: ['x'] });
  });

  it('refuses prototype-polluting keys anywhere, however deep', () => {
    expect(failure(JSON.parse('{"name":"a","tags":[],"x":{"y":[{"__proto__":{"admin":true}}]}}'))).toEqual({
      code: 'forbidden_key',
      message: 'forbidden key x.y.0.__proto__',
    });
    let deep: unknown = { constructor: 1 };
    for (let i = 0; i < 50_000; i++) deep = { a: deep };
    expect(failure(deep).code).toBe('forbidden_key');
  });

  it('names the wrong fields without echoing their values, and never coerces', () => {
    expect(failure({ name: 12345, tags: 'secret-value' })).toEqual({
      code: 'schema_violation',
      message:
        'name: Invalid input: expected string, received number; tags: Invalid input: expected array, received string',
    });
    expect(failure(undefined)).toEqual({
      code: 'schema_violation',
      message: '(body): Invalid input: expected object, received undefined',
    });
    expect(failure({ name: 'a', nmae: 'b' }).message).toBe('(body): unknown key(s) nmae');
  });

  it('refuses text PostgreSQL cannot store, in a value or a key, naming where and not what', () => {
    expect(failure({ name: 'a\u0000b' })).toEqual({
      code: 'schema_violation',
      message: 'name: holds U+0000 or an unpaired surrogate, which cannot be stored',
    });
    expect(failure({ name: 'a', tags: ['ok', 'x\ud800'] }).message).toMatch(/^tags\.1: holds U\+0000/);
    expect(failure({ name: 'a', ['k\udc00']: 1 }).message).toMatch(/^\(body\): holds/);
    expect(failure('id\u0000', 'path.id', z.string()).message).toBe(
      'path.id: holds U+0000 or an unpaired surrogate, which cannot be stored',
    );
  });
});
