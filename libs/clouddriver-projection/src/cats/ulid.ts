import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Monotonic ULIDs (26 Crockford base32 characters: 48-bit millisecond time, 80 random bits), as
 * Clouddriver's SqlCache gives every relationship row (`uuid`, varchar(26)): within one
 * millisecond each value is the previous one plus one, so a batch sorts in insertion order.
 */
export class UlidGenerator {
  private lastTime = -1;
  private lastRandom = 0n;

  constructor(private readonly now: () => number = Date.now) {}

  next(): string {
    const time = this.now();
    if (time === this.lastTime) {
      this.lastRandom = (this.lastRandom + 1n) & ((1n << 80n) - 1n);
    } else {
      this.lastTime = time;
      this.lastRandom = BigInt(`0x${randomBytes(10).toString('hex')}`);
    }
    return encode(BigInt(time), 10) + encode(this.lastRandom, 16);
  }
}

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}
