import type { DataSource, EntityManager } from 'typeorm';

/** What the repositories run SQL on: the pooled DataSource, or a transaction's EntityManager. */
export type Queryable = DataSource | EntityManager;
