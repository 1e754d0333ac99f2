import type { CacheRecord } from '../cache-record';
import type { AgentAccount, AgentPage, AgentStreamContext, StreamingCachingAgent } from '../caching-agent';
import type { CacheWriterPort } from '../ports';
import { InMemoryAgentStore } from '../testing/in-memory-agent-store';
import { VirtualClock } from '../testing/virtual-clock';
import { AbortedError } from './abort';
import { AgentCatalog, AgentRegistrationError } from './agent-catalog';
import { runCachingAgent } from './agent-runner';
import { Permits } from './permits';

const T0 = new Date('2026-03-01T12:00:00.000Z');
const AGENT = 'prod/us-east-1/InstanceCachingAgent';

function instance(n: number, state = 'running'): CacheRecord {
  return {
    key: `aws:instances:prod:us-east-1:i-0${String(n).padStart(16, '0')}`,
    type: 'instances',
    account: 'prod',
    region: 'us-east-1',
    attributes: { instanceId: `i-0${String(n).padStart(16, '0')}`, state },
  };
}

function streaming(stream: (ctx: AgentStreamContext) => AsyncIterable<AgentPage>): StreamingCachingAgent {
  return {
    id: AGENT,
    provider: 'aws',
    kind: 'InstanceCachingAgent',
    account: 'prod',
    region: 'us-east-1',
    authoritativeTypes: ['instances'],
    stream,
  };
}

/** An agent's stream that hands out the pages `read` produces, each when the runtime asks. */
function each(read: () => Iterable<AgentPage>): () => AsyncIterable<AgentPage> {
  return async function* () {
    for (const page of read()) {
      await Promise.resolve(); // where the AWS call would be
      yield page;
    }
  };
}

/** Pages of two instances each: 1-2, 3-4, ... */
function pagesOf(count: number, state = 'running'): AgentPage[] {
  return Array.from({ length: count }, (_, p) => [instance(2 * p + 1, state), instance(2 * p + 2, state)]);
}

describe('runCachingAgent', () => {
  let clock: VirtualClock;
  let store: InMemoryAgentStore;
  let pagesWritten: number;
  let cache: CacheWriterPort;

  beforeEach(() => {
    clock = new VirtualClock(T0);
    store = new InMemoryAgentStore(clock);
    pagesWritten = 0;
    cache = {
      ...store.cachePort,
      writeAgentPage: (page) => {
        pagesWritten++;
        return store.cachePort.writeAgentPage(page);
      },
    };
  });

  const run = (
    agent: Parameters<typeof runCachingAgent>[0],
    options: {
      confirm?: () => Promise<'ok' | 'lost' | 'error'>;
      signal?: AbortSignal;
      pageWrites?: Permits;
    } = {},
  ) =>
    runCachingAgent(agent, {
      cache,
      signal: options.signal ?? new AbortController().signal,
      now: () => clock.now(),
      confirm: options.confirm,
      pageWrites: options.pageWrites,
    });

  it('writes each page before it reads further than the next one, so a run holds two pages at most', async () => {
    const heldWhenRead: number[] = [];
    const report = await run(
      streaming(
        each(function* () {
          for (const [i, page] of pagesOf(6).entries()) {
            heldWhenRead.push(i - pagesWritten); // pages read and not written yet, this one included
            yield page;
          }
        }),
      ),
    );

    expect(report).toMatchObject({ outcome: 'success', additions: 12, evictions: 0 });
    expect(pagesWritten).toBe(6);
    expect(Math.max(...heldWhenRead)).toBeLessThanOrEqual(2);
  });

  it('writes no more pages at once than the process has page-write permits, however many runs go on', async () => {
    let writing = 0;
    let mostAtOnce = 0;
    cache = {
      ...store.cachePort,
      writeAgentPage: async (page) => {
        mostAtOnce = Math.max(mostAtOnce, ++writing);
        await new Promise((resolve) => setTimeout(resolve, 2)); // PostgreSQL at work
        writing--;
        return store.cachePort.writeAgentPage(page);
      },
    };
    const pageWrites = new Permits(2);
    const agents = [0, 1, 2, 3, 4].map((a) => ({
      ...streaming(each(() => pagesOf(4).map((page) => page.map((r) => ({ ...r, key: `${r.key}-${a}` }))))),
      id: `prod/us-east-1/Agent${a}`,
    }));

    const reports = await Promise.all(agents.map((agent) => run(agent, { pageWrites })));

    expect(reports.map((r) => [r.outcome, r.additions])).toEqual(agents.map(() => ['success', 8]));
    expect(store.records.size).toBe(40);
    expect(mostAtOnce).toBe(2);
    expect(pageWrites.queued).toBe(0);
  });

  it('stops a run waiting for a page-write permit when it is aborted, writing nothing more', async () => {
    const pageWrites = new Permits(1);
    const held = await pageWrites.acquire(new AbortController().signal); // another run's write
    const controller = new AbortController();
    const report = run(streaming(each(() => pagesOf(2))), { signal: controller.signal, pageWrites });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(pageWrites.queued).toBe(1);

    controller.abort(new AbortedError('shutdown'));

    expect(await report).toMatchObject({ outcome: 'aborted', abortedBy: 'shutdown', additions: 0 });
    expect(pageWrites.queued).toBe(0);
    expect(store.records.size).toBe(0);
    held();
  });

  it('keeps the pages written before the lease was lost, and evicts nothing', async () => {
    await run(streaming(each(() => pagesOf(3))));
    await clock.advance(60_000);
    let confirmations = 0;

    const report = await run(streaming(each(() => [...pagesOf(1, 'stopped'), [instance(7)]])), {
      confirm: () => Promise.resolve(++confirmations === 1 ? 'ok' : 'lost'),
    });

    expect(report).toMatchObject({ outcome: 'aborted', abortedBy: 'lease_lost', additions: 2, evictions: 0 });
    expect(store.records.get(instance(1).key)?.record.attributes.state).toBe('stopped');
    expect(store.records.has(instance(6).key)).toBe(true);
    expect(store.records.has(instance(7).key)).toBe(false);
  });

  it('fails a run whose agent breaks the contract, with what it did wrong', async () => {
    const notIterable = await run(streaming(() => ({}) as AsyncIterable<AgentPage>));
    expect(notIterable).toMatchObject({
      outcome: 'failure',
      error: 'the agent stream() returned no async iterable of pages',
    });

    const notAnArray = await run(streaming(each(() => [{ records: [instance(1)] } as unknown as AgentPage])));
    expect(notAnArray).toMatchObject({
      outcome: 'failure',
      error: 'the agent yielded a page that is not an array of records',
    });
    expect(store.records.size).toBe(0);
  });

  it('stops reading when the run is aborted, keeping what it wrote', async () => {
    const controller = new AbortController();
    const report = await run(
      streaming(
        each(function* () {
          yield [instance(1)];
          controller.abort(new AbortedError('shutdown'));
          yield [instance(2)];
          yield [instance(3)];
        }),
      ),
      { signal: controller.signal },
    );

    expect(report).toMatchObject({ outcome: 'aborted', abortedBy: 'shutdown', evictions: 0 });
    expect(store.records.has(instance(1).key)).toBe(true);
    expect(store.records.has(instance(3).key)).toBe(false);
  });
});

describe('AgentCatalog', () => {
  const PROD: AgentAccount = {
    name: 'prod',
    accountId: '123456789012',
    environment: 'prod',
    regions: [{ name: 'us-east-1' }],
  };

  it('refuses an agent with neither stream() nor load(), naming it', () => {
    const create = () =>
      new AgentCatalog(
        [PROD],
        [
          {
            kind: 'InstanceCachingAgent',
            create: () =>
              ({ ...streaming(() => [] as unknown as AsyncIterable<AgentPage>), stream: undefined }) as never,
          },
        ],
      );
    expect(create).toThrow(AgentRegistrationError);
    expect(create).toThrow(/prod\/us-east-1\/InstanceCachingAgent has neither stream\(ctx\) nor load\(ctx\)/);
  });
});
