/**
 * A resource as the cache store hands it to the projection (the store's `StoredResource`, repeated
 * here structurally: the projection does not import the store).
 */
export interface StoredResource {
  key: string;
  type: string;
  account: string | null;
  region: string | null;
  application: string | null;
  attributes: Record<string, unknown>;
  relationships: Record<string, string[]>;
  /** In a change: the write created the resource. */
  created?: boolean;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function obj(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function links(resource: StoredResource, type: string): string[] {
  return resource.relationships[type] ?? [];
}

export function sortedUnique<T extends string | null>(values: Iterable<T>): T[] {
  return [...new Set(values)].sort((a, b) =>
    a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1,
  );
}
