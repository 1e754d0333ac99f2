import { createTestDatabase, type TestDatabase } from '@event-cache/testing';
import { openCacheStore } from '../cache-store';
import {
  type CachedResourceRepository,
  decodeResourceCursor,
  type ResourceRecord,
} from './cached-resource.repository';

const ACCOUNT = 'prod';
const REGION = 'us-east-1';
const AGENT = 'prod/us-east-1/InstanceCachingAgent';
const WEST_AGENT = 'prod/us-west-2/InstanceCachingAgent';
const T0 = new Date('2025-11-20T10:00:00.000Z');
/** T0 plus `s` seconds: the time an AWS read started. */
const at = (s: number) => new Date(T0.getTime() + s * 1000);

const instanceKey = (id: string, account = ACCOUNT, region = REGION) =>
  `aws:instances:${account}:${region}:${id}`;
const serverGroupKey = (asg: string, account = ACCOUNT, region = REGION) =>
  `aws:serverGroups:${asg.replace(/-v\d{3}$/, '')}:${account}:${region}:${asg}`;

function instance(
  id: string,
  state = 'running',
  scope: { account?: string; region?: string; application?: string } = {},
): ResourceRecord {
  const account = scope.account ?? ACCOUNT;
  const region = scope.region ?? REGION;
  return {
    key: instanceKey(id, account, region),
    type: 'instances',
    account,
    region,
    application: scope.application ?? null,
    attributes: {
      instanceId: id,
      instanceType: 'm5.large',
      state: { code: state === 'running' ? 16 : 80, name: state },
      privateIpAddress: '10.0.12.34',
      placement: { availabilityZone: `${region}a` },
    },
  };
}

function serverGroup(
  asg: string,
  instanceIds: string[],
  extra: Record<string, unknown> = {},
): ResourceRecord {
  return {
    key: serverGroupKey(asg),
    type: 'serverGroups',
    account: ACCOUNT,
    region: REGION,
    application: asg.split('-')[0],
    attributes: { autoScalingGroupName: asg, desiredCapacity: instanceIds.length, ...extra },
    relationships: {
      instances: instanceIds.map((id) => instanceKey(id)),
      loadBalancers: [`aws:loadBalancers:${ACCOUNT}:${REGION}:${asg.split('-')[0]}-frontend`],
    },
  };
}

describe('CachedResourceRepository', () => {
  let db: TestDatabase;
  let resources: CachedResourceRepository;
  let closeAll: () => Promise<void>;
  let second: CachedResourceRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    const a = await openCacheStore(db.url, { poolSize: 4 });
    const b = await openCacheStore(db.url, { poolSize: 4 });
    resources = a.store.resources;
    second = b.store.resources;
    closeAll = async () => {
      await a.close();
      await b.close();
    };
  });
  afterAll(async () => {
    await closeAll();
    await db.drop();
  });
  beforeEach(async () => {
    await db.sql('TRUNCATE cached_resource, cached_relationship');
  });

  const rowOf = async (key: string) =>
    (
      await db.sql<{ xmin: string; fetched_at: Date; changed_at: Date; agent: string | null }>(
        'SELECT xmin::text AS xmin, fetched_at, changed_at, agent FROM cached_resource WHERE key = $1',
        [key],
      )
    )[0];

  describe('write', () => {
    it('upserts a batch and reads it back with its scope, agent and times', async () => {
      const records = [
        instance('i-0abc0001'),
        instance('i-0abc0002'),
        serverGroup('app-main-v001', ['i-0abc0001']),
      ];
      const result = await resources.write(records, { fetchedAt: at(0), agent: AGENT });

      expect(result).toEqual({ written: expect.any(Array), unchanged: 0, stale: 0 });
      expect([...result.written].sort()).toEqual(records.map((r) => r.key).sort());
      const stored = await resources.findByKey(instanceKey('i-0abc0001'));
      expect(stored).toMatchObject({
        key: instanceKey('i-0abc0001'),
        type: 'instances',
        account: ACCOUNT,
        region: REGION,
        application: null,
        agent: AGENT,
        attributes: records[0].attributes,
        fetchedAt: at(0),
        changedAt: at(0),
      });
      expect((await resources.findByKey(serverGroupKey('app-main-v001')))?.application).toBe('app');
    });

    it('skips unchanged bodies without rewriting the row, and writes only the changed ones', async () => {
      const records = [instance('i-0abc0001'), instance('i-0abc0002'), instance('i-0abc0003')];
      await resources.write(records, { fetchedAt: at(0), agent: AGENT });
      const before = await rowOf(instanceKey('i-0abc0001'));

      const rewrite = await resources.write(records, { fetchedAt: at(30), agent: AGENT });
      expect(rewrite).toEqual({ written: [], unchanged: 3, stale: 0 });
      const after = await rowOf(instanceKey('i-0abc0001'));
      expect(after.xmin).toBe(before.xmin); // the tuple was not touched at all
      expect(after.changed_at).toEqual(at(0));
      expect(after.fetched_at).toEqual(at(0));

      const mixed = await resources.write([records[0], instance('i-0abc0002', 'stopped'), records[2]], {
        fetchedAt: at(60),
        agent: AGENT,
      });
      expect(mixed).toEqual({ written: [instanceKey('i-0abc0002')], unchanged: 2, stale: 0 });
      const changed = await resources.findByKey(instanceKey('i-0abc0002'));
      expect(changed?.attributes).toMatchObject({ state: { name: 'stopped' } });
      expect(changed?.changedAt).toEqual(at(60));
      expect((await rowOf(instanceKey('i-0abc0003'))).changed_at).toEqual(at(0));
    });

    it('never lets a read that started earlier replace a row from a later read', async () => {
      await resources.write([instance('i-0abc0001', 'stopped')], { fetchedAt: at(60) });

      const slowScan = await resources.write([instance('i-0abc0001', 'running'), instance('i-0abc0002')], {
        fetchedAt: at(10),
        agent: AGENT,
      });

      expect(slowScan).toEqual({ written: [instanceKey('i-0abc0002')], unchanged: 0, stale: 1 });
      const stored = await resources.findByKey(instanceKey('i-0abc0001'));
      expect(stored?.attributes).toMatchObject({ state: { name: 'stopped' } });
      expect(stored?.fetchedAt).toEqual(at(60));
      expect(stored?.changedAt).toEqual(at(60));
      // An older read of the very same body is stale too, and does not move fetched_at back.
      const same = await resources.write([instance('i-0abc0001', 'stopped')], {
        fetchedAt: at(5),
        touchUnchanged: true,
      });
      expect(same.stale).toBe(1);
      expect((await resources.findByKey(instanceKey('i-0abc0001')))?.fetchedAt).toEqual(at(60));
    });

    it('touchUnchanged moves fetchedAt forward on unchanged rows so an older read cannot replace them', async () => {
      await resources.write([instance('i-0abc0001')], { fetchedAt: at(0), agent: AGENT });

      const confirm = await resources.write([instance('i-0abc0001')], {
        fetchedAt: at(90),
        touchUnchanged: true,
      });
      expect(confirm).toEqual({ written: [], unchanged: 1, stale: 0 });
      const stored = await resources.findByKey(instanceKey('i-0abc0001'));
      expect(stored?.fetchedAt).toEqual(at(90));
      expect(stored?.changedAt).toEqual(at(0));
      expect(stored?.agent).toBe(AGENT);

      const older = await resources.write([instance('i-0abc0001', 'stopping')], { fetchedAt: at(45) });
      expect(older.stale).toBe(1);
      expect((await resources.findByKey(instanceKey('i-0abc0001')))?.attributes).toMatchObject({
        state: { name: 'running' },
      });
    });

    it('keeps the last record when a key appears twice in one call', async () => {
      const result = await resources.write(
        [instance('i-0abc0001', 'pending'), instance('i-0abc0002'), instance('i-0abc0001', 'running')],
        { fetchedAt: at(0) },
      );
      expect([...result.written].sort()).toEqual([instanceKey('i-0abc0001'), instanceKey('i-0abc0002')]);
      expect((await resources.findByKey(instanceKey('i-0abc0001')))?.attributes).toMatchObject({
        state: { name: 'running' },
      });
    });

    it('writes nothing for an empty batch', async () => {
      expect(await resources.write([], { fetchedAt: at(0) })).toEqual({
        written: [],
        unchanged: 0,
        stale: 0,
      });
    });
  });

  describe('writeAgentResult (authoritative eviction)', () => {
    const ids = ['i-0abc0001', 'i-0abc0002', 'i-0abc0003'];
    const firstRun = () =>
      resources.writeAgentResult({
        agent: AGENT,
        authoritativeTypes: ['instances'],
        resources: ids.map((id) => instance(id)),
        fetchedAt: at(0),
        complete: true,
      });

    beforeEach(async () => {
      await firstRun();
      // Another agent's instances, and another type written by the same agent.
      await resources.write([instance('i-0west0001', 'running', { region: 'us-west-2' })], {
        fetchedAt: at(0),
        agent: WEST_AGENT,
      });
      await resources.write(
        [
          {
            key: `aws:images:${ACCOUNT}:${REGION}:ami-0f00d`,
            type: 'images',
            attributes: { imageId: 'ami-0f00d' },
          },
        ],
        { fetchedAt: at(0), agent: AGENT },
      );
    });

    it("after a complete run evicts the agent's missing keys of its types, except rows a fresher read wrote", async () => {
      // i-0abc0003 was re-read by a targeted refresh after the run started.
      await resources.write([instance('i-0abc0003', 'stopped')], { fetchedAt: at(70) });

      const run = await resources.writeAgentResult({
        agent: AGENT,
        authoritativeTypes: ['instances'],
        resources: [instance('i-0abc0001'), instance('i-0abc0004')],
        fetchedAt: at(60),
        complete: true,
      });

      expect(run.evicted).toEqual([instanceKey('i-0abc0002')]);
      expect(run.written).toEqual([instanceKey('i-0abc0004')]);
      expect(run.unchanged).toBe(1);
      const left = (
        await db.sql<{ key: string }>('SELECT key FROM cached_resource ORDER BY key COLLATE "C"')
      ).map((r) => r.key);
      expect(left).toEqual(
        [
          `aws:images:${ACCOUNT}:${REGION}:ami-0f00d`,
          instanceKey('i-0abc0001'),
          instanceKey('i-0abc0003'),
          instanceKey('i-0abc0004'),
          instanceKey('i-0west0001', ACCOUNT, 'us-west-2'),
        ].sort(),
      );
    });

    it('keeps a cluster another region still has when one region evicts it', async () => {
      const cluster = `aws:clusters:orders:${ACCOUNT}:orders-api`;
      const application = 'aws:applications:orders';
      const shared = [
        {
          key: cluster,
          type: 'clusters',
          account: ACCOUNT,
          attributes: { name: 'orders-api' },
          relationships: { applications: [application] },
        },
        { key: application, type: 'applications', attributes: { name: 'orders' } },
      ];
      const clusterRun = (region: string, groups: string[], fetchedAt: Date) =>
        resources.writeAgentResult({
          agent: `${ACCOUNT}/${region}/ClusterCachingAgent`,
          authoritativeTypes: ['serverGroups', 'clusters', 'applications'],
          resources: [
            ...groups.map((g) => ({
              key: serverGroupKey(g, ACCOUNT, region),
              type: 'serverGroups',
              account: ACCOUNT,
              region,
              attributes: { name: g },
              relationships: { clusters: [cluster], applications: [application] },
            })),
            ...(groups.length ? shared : []),
          ],
          fetchedAt,
          complete: true,
          evictWhenEmpty: true,
        });
      await clusterRun('us-east-1', ['orders-api-v001'], at(1));
      await clusterRun('us-west-2', ['orders-api-v007'], at(2)); // now owns the cluster rows

      // us-west-2's server group is gone: the cluster still has one in us-east-1.
      const west = await clusterRun('us-west-2', [], at(3));
      expect(west.evicted).toEqual([serverGroupKey('orders-api-v007', ACCOUNT, 'us-west-2')]);
      expect(await resources.findByKey(cluster)).toMatchObject({ key: cluster });
      expect(await resources.findByKey(application)).toMatchObject({ key: application });

      // Then us-east-1's goes too, and us-east-1 owns the rows again once it has written them.
      await clusterRun('us-east-1', ['orders-api-v001'], at(4));
      const east = await clusterRun('us-east-1', [], at(5));
      expect([...east.evicted].sort()).toEqual(
        [application, cluster, serverGroupKey('orders-api-v001', ACCOUNT, 'us-east-1')].sort(),
      );
      expect(await resources.findByKey(cluster)).toBeNull();
    });

    it('evicts nothing after an incomplete run (but still writes what it read)', async () => {
      const run = await resources.writeAgentResult({
        agent: AGENT,
        authoritativeTypes: ['instances'],
        resources: [instance('i-0abc0001', 'stopped')],
        fetchedAt: at(60),
        complete: false,
      });
      expect(run.evicted).toEqual([]);
      expect(run.written).toEqual([instanceKey('i-0abc0001')]);
      expect(await resources.findByKeys(ids.map((id) => instanceKey(id)))).toHaveLength(3);
    });

    it('evicts nothing after an empty complete run unless evictWhenEmpty is set', async () => {
      const empty = { agent: AGENT, authoritativeTypes: ['instances'], resources: [], complete: true };
      expect((await resources.writeAgentResult({ ...empty, fetchedAt: at(60) })).evicted).toEqual([]);
      expect(await resources.findByKeys(ids.map((id) => instanceKey(id)))).toHaveLength(3);

      const run = await resources.writeAgentResult({ ...empty, fetchedAt: at(61), evictWhenEmpty: true });
      expect([...run.evicted].sort()).toEqual(ids.map((id) => instanceKey(id)));
      expect(await resources.findByKey(instanceKey('i-0west0001', ACCOUNT, 'us-west-2'))).not.toBeNull();
      expect(await resources.findByKey(`aws:images:${ACCOUNT}:${REGION}:ami-0f00d`)).not.toBeNull();
    });
  });

  describe('writeAgentPage and completeAgentRun (a streamed run)', () => {
    const page = (run: string, fetchedAt: Date, ids: string[], state = 'running') =>
      resources.writeAgentPage({
        agent: AGENT,
        run,
        fetchedAt,
        resources: ids.map((id) => instance(id, state)),
      });
    const complete = (run: string, fetchedAt: Date) =>
      resources.completeAgentRun({ agent: AGENT, run, authoritativeTypes: ['instances'], fetchedAt });
    const RUN_1 = '6c8f1f0e-2a51-4d0b-9d6e-0f6f3b1f5a01';
    const RUN_2 = '6c8f1f0e-2a51-4d0b-9d6e-0f6f3b1f5a02';
    const RUN_3 = '6c8f1f0e-2a51-4d0b-9d6e-0f6f3b1f5a03';

    beforeEach(async () => {
      await page(RUN_1, at(0), ['i-0abc0001', 'i-0abc0002']);
      await page(RUN_1, at(0), ['i-0abc0003', 'i-0abc0004']);
      await complete(RUN_1, at(0));
    });

    it('evicts, once the run is complete, the rows no page of it returned, unchanged rows kept', async () => {
      // Both pages are unchanged bodies: nothing is rewritten, yet the rows count as seen.
      expect(await page(RUN_2, at(60), ['i-0abc0001', 'i-0abc0003'])).toEqual({
        written: [],
        unchanged: 2,
        stale: 0,
      });
      expect(await page(RUN_2, at(60), ['i-0abc0004', 'i-0abc0005'])).toMatchObject({
        written: [instanceKey('i-0abc0005')],
        unchanged: 1,
      });

      expect(await complete(RUN_2, at(60))).toEqual({ evicted: [instanceKey('i-0abc0002')] });
      const left = await resources.findByKeys(
        ['1', '2', '3', '4', '5'].map((n) => instanceKey(`i-0abc000${n}`)),
      );
      expect(left.map((r) => r.key).sort()).toEqual(
        ['1', '3', '4', '5'].map((n) => instanceKey(`i-0abc000${n}`)),
      );
    });

    it('keeps the pages of a run that never completes; the next complete run evicts what it did not see', async () => {
      await page(RUN_2, at(60), ['i-0abc0001'], 'stopped');
      // RUN_2 stops here (throttled): its page is stored, nothing is evicted.
      const stored = await resources.findByKeys(
        ['1', '2', '3', '4'].map((n) => instanceKey(`i-0abc000${n}`)),
      );
      expect(stored).toHaveLength(4);
      expect(stored.find((r) => r.key === instanceKey('i-0abc0001'))?.attributes.state).toEqual({
        code: 80,
        name: 'stopped',
      });

      await page(RUN_3, at(120), ['i-0abc0001', 'i-0abc0002', 'i-0abc0003']);
      expect(await complete(RUN_3, at(120))).toEqual({ evicted: [instanceKey('i-0abc0004')] });
    });
  });

  describe('ownership moves', () => {
    it('hands an unchanged row to the agent that now reads it, so that agent can evict it later', async () => {
      await resources.write([instance('i-0abc0001')], { fetchedAt: at(0), agent: AGENT });
      const before = await rowOf(instanceKey('i-0abc0001'));

      const moved = await resources.write([instance('i-0abc0001')], { fetchedAt: at(30), agent: WEST_AGENT });
      expect(moved.written).toEqual([instanceKey('i-0abc0001')]);
      const after = await rowOf(instanceKey('i-0abc0001'));
      expect(after.agent).toBe(WEST_AGENT);
      expect(after.changed_at).toEqual(before.changed_at);

      const run = await resources.writeAgentResult({
        agent: WEST_AGENT,
        authoritativeTypes: ['instances'],
        resources: [instance('i-0west0001', 'running', { region: 'us-west-2' })],
        fetchedAt: at(60),
        complete: true,
      });
      expect(run.evicted).toEqual([instanceKey('i-0abc0001')]);
    });
  });

  describe('evict', () => {
    it('evicts keys as of a read, keeping rows a later read wrote', async () => {
      await resources.write([instance('i-0abc0001')], { fetchedAt: at(0) });
      await resources.write([instance('i-0abc0002')], { fetchedAt: at(90) });

      const evicted = await resources.evict(
        [instanceKey('i-0abc0001'), instanceKey('i-0abc0002'), instanceKey('i-0gone0000')],
        at(60),
      );

      expect(evicted).toEqual([instanceKey('i-0abc0001')]);
      expect(await resources.findByKey(instanceKey('i-0abc0001'))).toBeNull();
      expect(await resources.findByKey(instanceKey('i-0abc0002'))).not.toBeNull();
      expect(await resources.evict([], at(60))).toEqual([]);
    });
  });

  describe('reads', () => {
    beforeEach(async () => {
      await resources.write(
        [
          instance('i-0abc0001', 'running', { application: 'app' }),
          instance('i-0abc0002', 'running', { application: 'billing' }),
          instance('i-0west0001', 'running', { region: 'us-west-2', application: 'app' }),
          instance('i-0stg00001', 'running', { account: 'staging', application: 'app' }),
          serverGroup('app-main-v001', ['i-0abc0001']),
          {
            key: `aws:loadBalancers:${ACCOUNT}:${REGION}:app_main`,
            type: 'loadBalancers',
            account: ACCOUNT,
            region: REGION,
            attributes: { name: 'app_main' },
          },
          {
            key: `aws:loadBalancers:${ACCOUNT}:${REGION}:appxmain`,
            type: 'loadBalancers',
            account: ACCOUNT,
            region: REGION,
            attributes: { name: 'appxmain' },
          },
        ],
        { fetchedAt: at(0) },
      );
    });

    it('finds by key and by keys (in key order, missing keys left out)', async () => {
      expect(await resources.findByKey(instanceKey('i-0nothere0'))).toBeNull();
      const found = await resources.findByKeys([
        instanceKey('i-0abc0002'),
        instanceKey('i-0nothere0'),
        instanceKey('i-0abc0001'),
      ]);
      expect(found.map((r) => r.key)).toEqual([instanceKey('i-0abc0001'), instanceKey('i-0abc0002')]);
      expect(await resources.findByKeys([])).toEqual([]);
    });

    it('lists one type filtered by account, region and application', async () => {
      const keys = async (q: Parameters<CachedResourceRepository['list']>[0]) =>
        (await resources.list(q)).items.map((r) => r.key);

      expect(await keys({ type: 'instances' })).toHaveLength(4);
      expect(await keys({ type: 'instances', account: 'staging' })).toEqual([
        instanceKey('i-0stg00001', 'staging'),
      ]);
      expect(await keys({ type: 'instances', account: ACCOUNT, region: 'us-west-2' })).toEqual([
        instanceKey('i-0west0001', ACCOUNT, 'us-west-2'),
      ]);
      expect(await keys({ type: 'instances', application: 'app' })).toEqual([
        instanceKey('i-0abc0001'),
        instanceKey('i-0west0001', ACCOUNT, 'us-west-2'),
        instanceKey('i-0stg00001', 'staging'),
      ]);
      expect(await keys({ type: 'serverGroups', application: 'app' })).toEqual([
        serverGroupKey('app-main-v001'),
      ]);
      expect(await keys({ type: 'instances', application: 'nope' })).toEqual([]);
    });

    it('matches key globs with *, taking % and _ literally', async () => {
      const keys = async (keyGlob: string, type = 'instances') =>
        (await resources.list({ type, keyGlob })).items.map((r) => r.key);

      expect(await keys(`aws:instances:${ACCOUNT}:${REGION}:*`)).toEqual([
        instanceKey('i-0abc0001'),
        instanceKey('i-0abc0002'),
      ]);
      expect(await keys('aws:instances:*:i-0*0001')).toHaveLength(3);
      expect(await keys(`aws:loadBalancers:${ACCOUNT}:${REGION}:app_main`, 'loadBalancers')).toEqual([
        `aws:loadBalancers:${ACCOUNT}:${REGION}:app_main`,
      ]);
      expect(await keys(`aws:loadBalancers:${ACCOUNT}:${REGION}:%`, 'loadBalancers')).toEqual([]);
      expect(await keys(`aws:loadBalancers:${ACCOUNT}:${REGION}:*`, 'loadBalancers')).toHaveLength(2);
    });

    it('pages through a listing with a cursor, without duplicates or gaps', async () => {
      const many = Array.from({ length: 23 }, (_, i) => instance(`i-0page${String(i).padStart(4, '0')}`));
      await resources.write(many, { fetchedAt: at(0) });
      const query = { type: 'instances', keyGlob: 'aws:instances:prod:us-east-1:i-0page*', limit: 5 };

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await resources.list({ ...query, cursor });
        pages += 1;
        expect(page.items.length).toBeLessThanOrEqual(5);
        seen.push(...page.items.map((r) => r.key));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);

      expect(pages).toBe(5);
      expect(seen).toEqual(many.map((r) => r.key).sort());
      // An exactly full last page says there is nothing more.
      const exact = await resources.list({ ...query, limit: 23 });
      expect(exact.items).toHaveLength(23);
      expect(exact.nextCursor).toBeNull();
      expect(decodeResourceCursor(Buffer.from('aws:x\u0000', 'utf8').toString('base64url'))).toBeUndefined();
      await expect(resources.list({ ...query, cursor: 'not*a*cursor' })).rejects.toThrow(TypeError);
    });
  });

  describe('attributeOf', () => {
    it('reads one attribute of a cached resource: undefined when not cached, null when it has none', async () => {
      const sg = serverGroupKey('app-main-v002');
      await resources.write(
        [
          {
            key: sg,
            type: 'serverGroups',
            account: ACCOUNT,
            region: REGION,
            attributes: { name: 'app-main-v002', asg: { status: 'Delete in progress' } },
          },
        ],
        { fetchedAt: at(0) },
      );
      expect(await resources.attributeOf(sg, ['asg', 'status'])).toEqual({
        value: 'Delete in progress',
        fetchedAt: at(0),
      });
      expect(await resources.attributeOf(sg, ['asg', 'nope'])).toEqual({ value: null, fetchedAt: at(0) });
      expect(await resources.attributeOf(serverGroupKey('app-main-v999'), ['asg', 'status'])).toBeUndefined();
    });
  });

  describe('relationships', () => {
    it('are readable both ways, replaced when the body changes and removed with the source', async () => {
      const sg = serverGroupKey('app-main-v001');
      const lb = `aws:loadBalancers:${ACCOUNT}:${REGION}:app-frontend`;
      await resources.write(
        [
          instance('i-0abc0001'),
          instance('i-0abc0002'),
          serverGroup('app-main-v001', ['i-0abc0002', 'i-0abc0001']),
        ],
        { fetchedAt: at(0) },
      );

      expect((await resources.findByKey(sg))?.relationships).toEqual({
        instances: [instanceKey('i-0abc0001'), instanceKey('i-0abc0002')],
        loadBalancers: [lb],
      });
      expect((await resources.findByKey(instanceKey('i-0abc0001')))?.relationships).toEqual({
        serverGroups: [sg],
      });
      const listed = await resources.list({ type: 'instances' });
      expect(listed.items.map((r) => r.relationships)).toEqual([
        { serverGroups: [sg] },
        { serverGroups: [sg] },
      ]);

      // Scale-in: i-0abc0001 leaves, i-0abc0003 joins.
      await resources.write(
        [instance('i-0abc0003'), serverGroup('app-main-v001', ['i-0abc0002', 'i-0abc0003'])],
        {
          fetchedAt: at(60),
        },
      );
      const rel = await resources.relationshipsOf([instanceKey('i-0abc0001'), instanceKey('i-0abc0003'), sg]);
      expect(rel.get(instanceKey('i-0abc0001'))).toEqual({});
      expect(rel.get(instanceKey('i-0abc0003'))).toEqual({ serverGroups: [sg] });
      expect(rel.get(sg)?.instances).toEqual([instanceKey('i-0abc0002'), instanceKey('i-0abc0003')]);

      // A stale read of the server group changes nothing, relationships included.
      await resources.write([serverGroup('app-main-v001', ['i-0abc0001'])], { fetchedAt: at(30) });
      expect((await resources.findByKey(sg))?.relationships.instances).toEqual([
        instanceKey('i-0abc0002'),
        instanceKey('i-0abc0003'),
      ]);

      expect(await resources.evict([sg], at(120))).toEqual([sg]);
      expect((await resources.findByKey(instanceKey('i-0abc0002')))?.relationships).toEqual({});
      expect(await db.sql('SELECT * FROM cached_relationship')).toEqual([]);
    });
  });

  describe('concurrent writers (two replicas)', () => {
    it('end with the freshest read for every key, whatever order they write in, without deadlocking', async () => {
      const ids = Array.from({ length: 300 }, (_, i) => `i-0race${String(i).padStart(5, '0')}`);
      for (let round = 0; round < 4; round += 1) {
        const base = round * 100;
        // A slow full scan (older read, ascending order) and a burst of targeted refreshes (newer
        // read, descending order) write the same keys at the same time.
        const scan = ids.map((id) => instance(id, `scan-${round}`));
        const refresh = [...ids].reverse().map((id) => instance(id, `refresh-${round}`));
        const [a, b] = await Promise.all([
          resources.write(scan, { fetchedAt: at(base + 1), agent: AGENT }),
          second.write(refresh, { fetchedAt: at(base + 2) }),
        ]);
        expect(a.written.length + a.stale + a.unchanged).toBe(ids.length);
        expect(b.written).toHaveLength(ids.length);
        const states = await db.sql<{ state: string; n: string }>(
          `SELECT attributes->'state'->>'name' AS state, count(*) AS n FROM cached_resource GROUP BY 1`,
        );
        expect(states).toEqual([{ state: `refresh-${round}`, n: String(ids.length) }]);
      }
    });
  });
  describe('applyInstanceStates (states EC2 state-change events carry)', () => {
    const stateOf = async (id: string) =>
      (await resources.findByKey(instanceKey(id)))?.attributes.state as
        { code: number; name: string } | undefined;

    it('patches stopping/stopped into a row read before the event, keeping the rest and its links', async () => {
      await resources.write([instance('i-0abc0001'), serverGroup('app-main-v001', ['i-0abc0001'])], {
        fetchedAt: at(0),
        agent: AGENT,
      });
      const result = await resources.applyInstanceStates([
        { key: instanceKey('i-0abc0001'), state: 'stopping', at: at(30) },
        { key: instanceKey('i-0abc0001'), state: 'stopped', at: at(60) },
      ]);

      expect(result).toEqual({ evicted: [], patched: [instanceKey('i-0abc0001')], unresolved: [] });
      const stored = await resources.findByKey(instanceKey('i-0abc0001'));
      expect(stored?.attributes).toMatchObject({
        instanceId: 'i-0abc0001',
        privateIpAddress: '10.0.12.34',
        state: { code: 80, name: 'stopped' },
      });
      expect(stored?.fetchedAt).toEqual(at(60));
      expect(stored?.relationships.serverGroups).toEqual([serverGroupKey('app-main-v001')]);
      // A read that started before the event no longer replaces the patched state.
      const late = await resources.write([instance('i-0abc0001')], { fetchedAt: at(45), agent: AGENT });
      expect(late.stale).toBe(1);
      expect(await stateOf('i-0abc0001')).toEqual({ code: 80, name: 'stopped' });
    });

    it('never lets an older event overwrite a newer read, and re-reads when the order is unclear', async () => {
      await resources.write([instance('i-0abc0001'), instance('i-0abc0002')], {
        fetchedAt: at(60),
        agent: AGENT,
      });
      const result = await resources.applyInstanceStates([
        // Well before the read: the read already saw what came after it.
        { key: instanceKey('i-0abc0001'), state: 'stopped', at: at(10) },
        // EventBridge times are whole seconds: a read 0.5 s after the event's time may predate the change.
        { key: instanceKey('i-0abc0002'), state: 'terminated', at: new Date(at(60).getTime() - 500) },
      ]);

      expect(result).toEqual({ evicted: [], patched: [], unresolved: [instanceKey('i-0abc0002')] });
      expect(await stateOf('i-0abc0001')).toEqual({ code: 16, name: 'running' });
      expect(await stateOf('i-0abc0002')).toEqual({ code: 16, name: 'running' });
    });

    it('evicts a terminated instance with its own relationships; a state for an uncached instance needs a read', async () => {
      await resources.write([instance('i-0abc0001'), serverGroup('app-main-v001', ['i-0abc0001'])], {
        fetchedAt: at(0),
        agent: AGENT,
      });
      const result = await resources.applyInstanceStates([
        { key: instanceKey('i-0abc0001'), state: 'terminated', at: at(90) },
        { key: instanceKey('i-0new0001'), state: 'stopped', at: at(90) },
        { key: instanceKey('i-0new0002'), state: 'terminated', at: at(90) },
      ]);

      expect(result).toEqual({
        evicted: [instanceKey('i-0abc0001')],
        patched: [],
        unresolved: [instanceKey('i-0new0001')],
      });
      expect(await resources.findByKey(instanceKey('i-0abc0001'))).toBeNull();
      expect(
        await db.sql('SELECT target_key FROM cached_relationship WHERE source_key = $1', [
          instanceKey('i-0abc0001'),
        ]),
      ).toEqual([]);
    });
  });
});
