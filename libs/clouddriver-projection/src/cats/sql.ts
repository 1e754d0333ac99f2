/** Runs SQL (the store's write transaction, or a connection of the projection's own). */
export interface Sql {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}
