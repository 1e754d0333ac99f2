import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { openCacheStore } from '../cache-store';
import type { ResourceRecord } from './cached-resource.repository';
import { projectionSql, TransactionStoreView } from './projection-view';

const scope = { account: 'prod', region: 'us-east-1' };
const instanceKey = (id: string) => `aws:instances:prod:us-east-1:${id}`;
const targetGroupKey = (name: string) => `aws:targetGroups:prod:us-east-1:${name}:instance:vpc-1`;
const serverGroupKey = (name: string) => `aws:serverGroups:app-main:prod:us-east-1:${name}`;

function targetGroup(name: string, instanceIds: string[]): ResourceRecord {
  return {
    key: targetGroupKey(name),
    type: 'targetGroups',
    ...scope,
    application: 'app',
    attributes: {
      targetGroupName: name,
      targetType: 'instance',
      targetHealthDescriptions: instanceIds.map((id) => ({
        target: { id },
        targetHealth: { state: 'healthy' },
      })),
    },
    relationships: {
      instances: instanceIds.map(instanceKey),
      serverGroups: [serverGroupKey('app-main-v001')],
    },
  };
}

describe('the projection view: resources linking to targets', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db.drop());

  it('loads each linking resource once, lists it per target, and only the attributes and relationships asked for', async () => {
    const { dataSource, store, close } = await openCacheStore(db.url);
    try {
      const ids = ['i-0000000000000001', 'i-0000000000000002', 'i-0000000000000003'];
      await store.resources.write([targetGroup('tg-a', ids), targetGroup('tg-b', ids.slice(0, 1))], {
        fetchedAt: new Date('2026-12-01T00:00:00Z'),
        agent: 'prod/us-east-1/TargetGroupCachingAgent',
      });
      await dataSource.transaction(async (tx) => {
        const view = new TransactionStoreView(projectionSql(tx));
        const found = await view.linking(ids.map(instanceKey), 'targetGroups', {
          fields: ['targetGroupName'],
          relationships: ['serverGroups'],
        });
        expect(found.map(({ target, resource }) => [target, resource.key])).toEqual([
          [instanceKey(ids[0]), targetGroupKey('tg-a')],
          [instanceKey(ids[0]), targetGroupKey('tg-b')],
          [instanceKey(ids[1]), targetGroupKey('tg-a')],
          [instanceKey(ids[2]), targetGroupKey('tg-a')],
        ]);
        // tg-a links to three instances: one object, its attributes read once.
        expect(found[0].resource).toBe(found[2].resource);
        expect(found[0].resource.attributes).toEqual({ targetGroupName: 'tg-a' });
        expect(found[0].resource.relationships).toEqual({ serverGroups: [serverGroupKey('app-main-v001')] });

        const bare = await view.linking([instanceKey(ids[0])], 'targetGroups', { fields: [] });
        expect(bare.map((r) => [r.resource.attributes, r.resource.relationships])).toEqual([
          [{}, {}],
          [{}, {}],
        ]);
        expect(await view.linking([instanceKey('i-0000000000000009')], 'targetGroups')).toEqual([]);

        const [whole] = await view.resources([targetGroupKey('tg-b')]);
        expect(whole.attributes.targetHealthDescriptions).toHaveLength(1);
        expect(whole.relationships).toEqual({
          instances: [instanceKey(ids[0])],
          serverGroups: [serverGroupKey('app-main-v001')],
        });
        const slim = await view.resources([targetGroupKey('tg-a'), targetGroupKey('tg-c')], {
          fields: [],
          relationships: [],
        });
        expect(slim).toEqual([
          {
            ...scope,
            key: targetGroupKey('tg-a'),
            type: 'targetGroups',
            application: 'app',
            attributes: {},
            relationships: {},
          },
        ]);
      });
    } finally {
      await close();
    }
  });
});
