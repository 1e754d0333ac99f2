import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { openCacheStore } from '../cache-store';
import type { PipelineHealthRepository } from './pipeline-health.repository';

const T0 = new Date('2025-11-20T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
/** A heartbeat seen at `s`, keeping the pipeline healthy for 5 minutes. */
const beat = (account: string, region: string, s: number) => ({
  account,
  region,
  at: at(s),
  healthyUntil: at(s + 300),
});

describe('PipelineHealthRepository', () => {
  let db: TestDatabase;
  let health: PipelineHealthRepository;
  let close: () => Promise<void>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const opened = await openCacheStore(db.url, { poolSize: 2 });
    health = opened.store.pipelineHealth;
    close = opened.close;
  });
  afterAll(async () => {
    await close();
    await db.drop();
  });
  beforeEach(async () => {
    await db.sql('TRUNCATE pipeline_health');
  });

  it('records heartbeats per account/region and says which pipelines are healthy at a time', async () => {
    await health.record([
      beat('prod', 'us-east-1', 0),
      beat('prod', 'us-west-2', 100),
      beat('staging', 'us-east-1', 50),
    ]);

    expect(await health.list(at(320))).toEqual([
      { account: 'prod', region: 'us-east-1', at: at(0), healthyUntil: at(300), healthy: false },
      { account: 'prod', region: 'us-west-2', at: at(100), healthyUntil: at(400), healthy: true },
      { account: 'staging', region: 'us-east-1', at: at(50), healthyUntil: at(350), healthy: true },
    ]);
    expect((await health.list(at(400))).map((h) => h.healthy)).toEqual([false, false, false]);
    await health.record([]);
  });

  it('never moves a pipeline back in time, whether the older heartbeat arrives later or in the same call', async () => {
    await health.record([beat('prod', 'us-east-1', 600)]);
    await health.record([beat('prod', 'us-east-1', 60)]); // a delayed SQS delivery
    await health.record([beat('prod', 'us-west-2', 900), beat('prod', 'us-west-2', 30)]);

    expect(await health.list(at(850))).toEqual([
      { account: 'prod', region: 'us-east-1', at: at(600), healthyUntil: at(900), healthy: true },
      { account: 'prod', region: 'us-west-2', at: at(900), healthyUntil: at(1200), healthy: true },
    ]);

    await health.record([beat('prod', 'us-east-1', 1_000)]);
    expect((await health.list(at(1_250)))[0]).toMatchObject({ at: at(1_000), healthy: true });
  });
});
