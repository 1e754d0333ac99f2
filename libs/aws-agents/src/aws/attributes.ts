import { toCacheAttributes } from '@event-cache/events';

/** An AWS SDK v3 output object as cache attributes (the agent SDK's `toCacheAttributes`). */
export function attributesOf(value: object): Record<string, unknown> {
  return toCacheAttributes(value);
}

/** AWS tags (`[{ Key, Value }]` from the SDK, `[{ key, value }]` in attributes) as a lookup. */
export function tagValue(tags: unknown, name: string): string | undefined {
  if (!Array.isArray(tags)) return undefined;
  for (const tag of tags as Record<string, unknown>[]) {
    const key = tag?.Key ?? tag?.key;
    if (key === name) {
      const value = tag.Value ?? tag.value;
      return typeof value === 'string' ? value : undefined;
    }
  }
  return undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
