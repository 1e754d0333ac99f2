import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Queryable } from './queryable';
import { returnedRows, toDate } from './sql';

export interface ClouddriverInstanceView {
  id: string;
  baseUrl: string;
  ready: boolean;
  lastUpdated: Date;
}

export interface Ownership {
  agentId: string;
  clouddriverId: string;
  accounts: string[];
  updatedAt: Date;
}

/** Who sent a forwarded operation (its results go back there) and where it was forwarded. */
export interface OperationRoute {
  operationId: string;
  senderId: string;
  ownerId: string;
  agentId: string | null;
  account: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** Expired operation routes purged per recorded operation (keeps purging cheap and incremental). */
const OPERATION_PURGE_BATCH = 100;

/** Clouddriver instances the forwarder discovered, and which instance owns which agent/accounts. */
@Injectable()
export class ClouddriverRegistryRepository {
  constructor(@Inject(DataSource) private readonly db: Queryable) {}

  /** Replaces the instance list with what discovery sees now (one statement each way). */
  async syncInstances(instances: readonly ClouddriverInstanceView[]): Promise<void> {
    await this.db.query(
      `WITH input AS (
         -- A pod reported twice (Endpoints and EndpointSlices) counts once: its last report wins.
         SELECT DISTINCT ON (id) id, base_url, ready, last_updated
           FROM unnest($1::text[], $2::text[], $3::boolean[], $4::timestamptz[]) WITH ORDINALITY
             AS i(id, base_url, ready, last_updated, n)
          ORDER BY id, n DESC
       ), gone AS (
         DELETE FROM clouddriver_instance c WHERE NOT EXISTS (SELECT 1 FROM input i WHERE i.id = c.id)
       )
       INSERT INTO clouddriver_instance AS c (id, base_url, ready, last_updated)
       SELECT id, base_url, ready, last_updated FROM input
       ON CONFLICT (id) DO UPDATE SET base_url = excluded.base_url, ready = excluded.ready, last_updated = excluded.last_updated
        WHERE (c.base_url, c.ready) IS DISTINCT FROM (excluded.base_url, excluded.ready)`,
      [
        instances.map((i) => i.id),
        instances.map((i) => i.baseUrl),
        instances.map((i) => i.ready),
        instances.map((i) => i.lastUpdated),
      ],
    );
  }

  async listInstances(): Promise<ClouddriverInstanceView[]> {
    const rows: { id: string; base_url: string; ready: boolean; last_updated: Date }[] = await this.db.query(
      `SELECT id, base_url, ready, last_updated FROM clouddriver_instance ORDER BY id`,
    );
    return rows.map((r) => ({
      id: r.id,
      baseUrl: r.base_url,
      ready: r.ready,
      lastUpdated: toDate(r.last_updated),
    }));
  }

  async setOwnership(agentId: string, clouddriverId: string, accounts: string[]): Promise<void> {
    await this.db.query(
      `INSERT INTO clouddriver_ownership (agent_id, clouddriver_id, accounts, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (agent_id) DO UPDATE SET clouddriver_id = excluded.clouddriver_id, accounts = excluded.accounts, updated_at = now()`,
      [agentId, clouddriverId, [...new Set(accounts)]],
    );
  }

  async removeOwnership(agentId: string): Promise<boolean> {
    const rows = returnedRows<unknown>(
      await this.db.query(`DELETE FROM clouddriver_ownership WHERE agent_id = $1 RETURNING agent_id`, [
        agentId,
      ]),
    );
    return rows.length > 0;
  }

  async ownerOfAgent(agentId: string): Promise<Ownership | null> {
    const rows: OwnershipRow[] = await this.db.query(
      `SELECT * FROM clouddriver_ownership WHERE agent_id = $1`,
      [agentId],
    );
    return rows.length ? toOwnership(rows[0]) : null;
  }

  /**
   * Remembers which instance sent an operation and where it went, for `ttlSeconds` (recording the
   * same operation id again replaces the route and restarts its time). Purges a small batch of
   * expired routes in the same statement, skipping rows another replica is purging.
   */
  async recordOperation(
    route: Pick<OperationRoute, 'operationId' | 'senderId' | 'ownerId'> &
      Partial<Pick<OperationRoute, 'agentId' | 'account'>>,
    ttlSeconds: number,
  ): Promise<void> {
    await this.db.query(
      `WITH expired AS (
         DELETE FROM clouddriver_operation WHERE operation_id IN (
           SELECT operation_id FROM clouddriver_operation
            WHERE expires_at < now() AND operation_id <> $1
            ORDER BY expires_at LIMIT ${OPERATION_PURGE_BATCH} FOR UPDATE SKIP LOCKED)
       )
       INSERT INTO clouddriver_operation AS o (operation_id, sender_id, owner_id, agent_id, account, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, now(), now() + make_interval(secs => $6))
       ON CONFLICT (operation_id) DO UPDATE SET sender_id = excluded.sender_id, owner_id = excluded.owner_id,
         agent_id = excluded.agent_id, account = excluded.account, created_at = excluded.created_at,
         expires_at = excluded.expires_at`,
      [
        route.operationId,
        route.senderId,
        route.ownerId,
        route.agentId ?? null,
        route.account ?? null,
        ttlSeconds,
      ],
    );
  }

  /** The route of an operation recorded less than its time-to-live ago, or null. */
  async routeOfOperation(operationId: string): Promise<OperationRoute | null> {
    const rows: OperationRow[] = await this.db.query(
      `SELECT * FROM clouddriver_operation WHERE operation_id = $1 AND expires_at >= now()`,
      [operationId],
    );
    return rows.length ? toOperationRoute(rows[0]) : null;
  }

  /** The most recently registered owner serving the account. */
  async ownerOfAccount(account: string): Promise<Ownership | null> {
    const rows: OwnershipRow[] = await this.db.query(
      `SELECT * FROM clouddriver_ownership WHERE accounts @> ARRAY[$1::text] ORDER BY updated_at DESC LIMIT 1`,
      [account],
    );
    return rows.length ? toOwnership(rows[0]) : null;
  }
}

interface OwnershipRow {
  agent_id: string;
  clouddriver_id: string;
  accounts: string[];
  updated_at: Date;
}

function toOwnership(r: OwnershipRow): Ownership {
  return {
    agentId: r.agent_id,
    clouddriverId: r.clouddriver_id,
    accounts: r.accounts,
    updatedAt: toDate(r.updated_at),
  };
}

interface OperationRow {
  operation_id: string;
  sender_id: string;
  owner_id: string;
  agent_id: string | null;
  account: string | null;
  created_at: Date;
  expires_at: Date;
}

function toOperationRoute(r: OperationRow): OperationRoute {
  return {
    operationId: r.operation_id,
    senderId: r.sender_id,
    ownerId: r.owner_id,
    agentId: r.agent_id,
    account: r.account,
    createdAt: toDate(r.created_at),
    expiresAt: toDate(r.expires_at),
  };
}
