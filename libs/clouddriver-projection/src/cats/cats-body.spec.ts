import { bodyHash, canonicalJson, serializeCacheData } from './cats-body';
import { UlidGenerator } from './ulid';

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

describe('UlidGenerator', () => {
  it('makes 26-character ULIDs that increase within one millisecond', () => {
    const ulids = new UlidGenerator(() => 1_767_000_000_000);
    const a = ulids.next();
    const b = ulids.next();
    expect(a).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(b > a).toBe(true);
    expect(a.slice(0, 10)).toBe(b.slice(0, 10));
  });
});
