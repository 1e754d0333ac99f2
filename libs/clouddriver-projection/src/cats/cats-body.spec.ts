import { bodyHash, canonicalJson, serializeCacheData } from './cats-body';
import { identityUlid } from './ulid';

describe('serializeCacheData', () => {
  it('writes properties alphabetically, map keys sorted at every depth, nulls left out', () => {
    const body = serializeCacheData({
      id: 'aws:vpcs:vpc-1:prod:us-east-1',
      attributes: { vpcId: 'vpc-1', cidrBlock: '10.0.0.0/16', tags: [{ value: 'v', key: 'k' }], dhcp: null },
      relationships: { zeta: ['b'], alpha: [null] },
      ttlSeconds: -1,
    });
    expect(body).toBe(
      '{"attributes":{"cidrBlock":"10.0.0.0/16","tags":[{"key":"k","value":"v"}],"vpcId":"vpc-1"},' +
        '"id":"aws:vpcs:vpc-1:prod:us-east-1","relationships":{"alpha":[null],"zeta":["b"]},"ttlSeconds":-1}',
    );
    expect(JSON.parse(body)).toBeTruthy();
  });

  it('orders keys by UTF-16 code units, as Java does (capitals before lower case)', () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3, '10': 4, '9': 5 })).toBe('{"10":4,"9":5,"B":2,"a":3,"b":1}');
  });

  it('hashes the body as SHA-256 hex', () => {
    expect(bodyHash('{}')).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });
});

describe('identityUlid', () => {
  it('gives a relationship row a valid ULID derived from what it relates', () => {
    const a = identityUlid('instances\u0000i-1\u0000sg-1');
    expect(a).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(identityUlid('instances\u0000i-1\u0000sg-1')).toBe(a);
    expect(identityUlid('instances\u0000i-2\u0000sg-1')).not.toBe(a);
  });
});
