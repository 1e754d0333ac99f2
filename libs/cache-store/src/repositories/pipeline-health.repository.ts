import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Queryable } from './queryable';
import { toDate } from './sql';

export interface Heartbeat {
  account: string;
  region: string;
  at: Date;
  healthyUntil: Date;
}

/** Heartbeats of each account/region's event pipeline; a later heartbeat never moves time back. */
@Injectable()
export class PipelineHealthRepository {
  constructor(@Inject(DataSource) private readonly db: Queryable) {}

  async record(heartbeats: readonly Heartbeat[]): Promise<void> {
    if (heartbeats.length === 0) return;
    await this.db.query(
      `INSERT INTO pipeline_health AS p (account, region, last_heartbeat_at, healthy_until)
       SELECT account, region, max(at), max(healthy_until)
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[]) AS h(account, region, at, healthy_until)
        GROUP BY account, region
       ON CONFLICT (account, region) DO UPDATE
          SET last_heartbeat_at = GREATEST(p.last_heartbeat_at, excluded.last_heartbeat_at),
              healthy_until = GREATEST(p.healthy_until, excluded.healthy_until)`,
      [
        heartbeats.map((h) => h.account),
        heartbeats.map((h) => h.region),
        heartbeats.map((h) => h.at),
        heartbeats.map((h) => h.healthyUntil),
      ],
    );
  }

  /** Every known account/region with its last heartbeat and whether it is healthy at `now`. */
  async list(now: Date): Promise<(Heartbeat & { healthy: boolean })[]> {
    const rows: { account: string; region: string; last_heartbeat_at: Date; healthy_until: Date }[] =
      await this.db.query(
        `SELECT account, region, last_heartbeat_at, healthy_until FROM pipeline_health ORDER BY account, region`,
      );
    return rows.map((r) => ({
      account: r.account,
      region: r.region,
      at: toDate(r.last_heartbeat_at),
      healthyUntil: toDate(r.healthy_until),
      healthy: toDate(r.healthy_until).getTime() > now.getTime(),
    }));
  }
}
