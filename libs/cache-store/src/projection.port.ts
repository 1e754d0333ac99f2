/**
 * The port through which the store keeps a projection of its resources in step with every write
 * and eviction, inside the same transaction: the store declares it, a projection implements it
 * structurally (e.g. `@event-cache/clouddriver-projection`), the service binds one to the other
 * with `CACHE_PROJECTION`. Without a binding the store projects nothing.
 */

/** Runs SQL on the store's current transaction. */
export interface ProjectionSql {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** A resource as the store holds it. */
export interface StoredResource {
  key: string;
  type: string;
  account: string | null;
  region: string | null;
  application: string | null;
  attributes: Record<string, unknown>;
  /** Outgoing relationships as the resource's writer stated them: related type -> keys. */
  relationships: Record<string, string[]>;
  /** In a change: the write created the resource (it was not stored before). */
  created?: boolean;
}

/** An outgoing relationship a changed or evicted resource had before the change. */
export interface PreviousLink {
  source: string;
  target: string;
  targetType: string;
}

/** What one write or eviction statement changed. */
export interface ResourceChange {
  /** Resources inserted or changed, in their new state. */
  written: StoredResource[];
  /** Keys evicted. */
  evicted: string[];
  /** The outgoing relationships the written and evicted resources had before. */
  previousLinks: PreviousLink[];
}

/** Reads of the store's current state, on the same transaction. */
export interface ProjectionStoreView {
  /**
   * Resources by key (missing keys are left out). `fields` limits the attributes loaded to those
   * top-level members, `relationships` the relationship types (default: all of both).
   */
  resources(
    keys: readonly string[],
    options?: { fields?: readonly string[]; relationships?: readonly string[] },
  ): Promise<StoredResource[]>;
  /**
   * Resources of `sourceType` with a relationship to one of `targets`, each with the target it
   * links to (a resource linking to several targets is one object, listed once per target).
   * `fields` limits the attributes loaded to those top-level members (default: all);
   * `relationships` names the relationship types loaded with them (default: none).
   */
  linking(
    targets: readonly string[],
    sourceType: string,
    options?: { fields?: readonly string[]; relationships?: readonly string[] },
  ): Promise<{ target: string; resource: StoredResource }[]>;
  /** Which of `keys` the store holds. */
  existing(keys: readonly string[]): Promise<Set<string>>;
  /** The keys of resources of `sourceType` with a relationship to one of `targets` (keys only). */
  linkedFrom(targets: readonly string[], sourceType: string): Promise<{ target: string; source: string }[]>;
  /** A page of resources in key order after `afterKey`, locked against writes until the transaction ends (rebuilds). */
  scan(options: {
    afterKey: string | null;
    limit: number;
    types?: readonly string[];
  }): Promise<StoredResource[]>;
}

/**
 * A force refresh's state (Orca's on-demand refresh): asked for at `cacheTime`, processed by a
 * read that started after it at `processedTime` (null while pending).
 */
export interface OnDemandChange {
  type: string;
  key: string;
  account: string;
  region: string;
  cacheTime: Date;
  processedTime: Date | null;
  processedCount: number;
}

/** A projection's transaction: SQL on the projection's tables, and the store's state. */
export interface ProjectionTransaction {
  sql: ProjectionSql;
  view: ProjectionStoreView;
}

export interface CacheProjectionPort {
  /** Called once when the store opens, in a transaction of its own (e.g. to create tables). */
  init?(sql: ProjectionSql): Promise<void>;
  /** Called in the transaction that made `change`, after the store's own rows were written. */
  apply(change: ResourceChange, tx: ProjectionTransaction): Promise<unknown>;
  /** Called in the transaction that enqueued or completed on-demand refresh requests. */
  onDemand?(changes: OnDemandChange[], tx: ProjectionTransaction): Promise<unknown>;
}

export const CACHE_PROJECTION = Symbol('CACHE_PROJECTION');
