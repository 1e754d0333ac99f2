import { CodedError } from '@event-cache/platform';
import { z } from 'zod';
import { parseBody } from './parse-body';

const schema = z.strictObject({ name: z.string(), tags: z.array(z.string()).optional() });

function failure(body: unknown): { code: string; message: string } {
  try {
    parseBody(schema, body);
  } catch (e) {
    if (e instanceof CodedError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a CodedError');
}

describe('parseBody', () => {
  it('returns the body when it has the shape', () => {
    expect(parseBody(schema, { name: 'a', tags: ['x'] })).toEqual({ name: 'a', tags: ['x'] });
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
});
