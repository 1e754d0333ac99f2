import { hash } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * A ULID-shaped id derived from `identity` (48 + 80 bits of its SHA-256): the same relationship
 * row always gets the same `uuid`, so writers that insert it at the same time cannot duplicate it
 * (the primary key refuses the second). Clouddriver only stores and compares these ids.
 */
export function identityUlid(identity: string): string {
  const digest = hash('sha256', identity, 'hex');
  return encode(BigInt(`0x${digest.slice(0, 12)}`), 10) + encode(BigInt(`0x${digest.slice(12, 32)}`), 16);
}
