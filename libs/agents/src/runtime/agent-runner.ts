import { randomUUID } from 'node:crypto';
import {
  type AgentContext,
  type AnyCachingAgent,
  type CachingAgent,
  isStreamingAgent,
  type StreamingCachingAgent,
} from '../caching-agent';
import type { CacheRecord } from '../cache-record';
import type { CacheWriterPort } from '../ports';
import { AbortedError, untilAborted } from './abort';
import type { AgentEntry } from './agent-catalog';
import type { RunOutcome } from './agents.metrics';
import type { Clock } from './clock';
import type { HeldLease, LeaseKeeper } from './lease-keeper';
import type { Permits } from './permits';
import { describeError, isThrottlingError } from './throttling';

export interface RunReport {
  outcome: RunOutcome;
  /** Records added or changed by the pages written (a run that stopped part-way counts its pages). */
  additions: number;
  /** Records evicted: 0 unless the run was complete. */
  evictions: number;
  error: string | null;
  /** Why an aborted run was aborted. */
  abortedBy?: 'lease_lost' | 'shutdown';
}

/** Whether the run may still write: `lost` stops it (aborted), `error` fails it. */
export type WriteConfirmation = () => Promise<'ok' | 'lost' | 'error'>;

export interface AgentRunOptions {
  cache: CacheWriterPort;
  /** Aborted when the run must stop (lease lost, shutdown, timeout: an `AbortedError` reason). */
  signal: AbortSignal;
  now: () => Date;
  /** Asked before each page is written and before the eviction (the scheduler extends the lease). */
  confirm?: WriteConfirmation;
  /** The run's id (default: a random UUID). */
  runId?: string;
  /** Shared by the runs of one process: a page is written only with one of these permits held. */
  pageWrites?: Permits;
}

/**
 * One run of one agent under its lease: read page by page, write each page as it comes (after
 * checking the lease is still held), and once the agent is done, evict what no page returned.
 * A run that stops part-way (failed, throttled, lease lost, shut down, timed out) keeps the pages
 * it wrote and evicts nothing.
 */
export class AgentRunner {
  constructor(
    private readonly deps: {
      cache: CacheWriterPort;
      keeper: LeaseKeeper;
      clock: Clock;
      /** The process's page-write permits (`SchedulerOptions.pageWriteConcurrency`). */
      pageWrites?: Permits;
    },
  ) {}

  run(entry: AgentEntry, lease: HeldLease): Promise<RunReport> {
    return runCachingAgent(entry.agent, {
      cache: this.deps.cache,
      signal: lease.controller.signal,
      now: () => this.deps.clock.now(),
      confirm: () => this.deps.keeper.extend([lease]),
      pageWrites: this.deps.pageWrites,
    });
  }
}

/** A page as the runner writes it: its records and the read start they are written as of. */
interface RunPage {
  records: readonly CacheRecord[];
  readStartedAt: Date;
}

/** An agent broke the contract (a page that is no array, a `load` without a valid read start). */
class AgentContractError extends Error {}

/**
 * Runs an agent once and writes what it reads through `cache`, as the scheduler does (without
 * the lease, unless `confirm` checks one): for tests and tools. Streaming agents are written page
 * by page, reading at most one page ahead of the write; `load` agents as one page.
 */
export async function runCachingAgent(agent: AnyCachingAgent, options: AgentRunOptions): Promise<RunReport> {
  const { cache } = options;
  const lease = options.signal;
  // Stops the agent's read in flight (the page read ahead) when the run ends early.
  const stop = new AbortController();
  const signal = AbortSignal.any([lease, stop.signal]);
  const run = options.runId ?? randomUUID();
  const pages = pagesOf(agent, { signal, now: options.now })[Symbol.asyncIterator]();
  const next = () => {
    const step = untilAborted(() => pages.next(), signal);
    step.catch(() => undefined); // awaited below, or dropped when the run ends first
    return step;
  };
  let additions = 0;
  let records = 0;
  let readStartedAt: Date | undefined;
  const stopped = (outcome: RunOutcome, error: string): RunReport => ({
    outcome,
    additions,
    evictions: 0,
    error,
  });
  const mayWrite = async (): Promise<RunReport | null> => {
    const confirmed = options.confirm ? await options.confirm() : 'ok';
    if (confirmed === 'lost' || lease.aborted) {
      return aborted(lease, additions, confirmed === 'lost' ? 'lease_lost' : 'shutdown');
    }
    return confirmed === 'error' ? stopped('failure', 'could not confirm the lease') : null;
  };

  let ahead = next();
  try {
    for (;;) {
      let step: IteratorResult<RunPage>;
      try {
        step = await ahead;
      } catch (error) {
        if (lease.aborted) return aborted(lease, additions);
        if (error instanceof AgentContractError) return stopped('failure', error.message);
        return stopped(isThrottlingError(error) ? 'throttled' : 'failure', describeError(error));
      }
      if (step.done) break;
      const page = step.value;
      if (!Array.isArray(page.records)) {
        return stopped('failure', 'the agent yielded a page that is not an array of records');
      }
      ahead = next(); // the next page is read while this one is written
      let release: (() => void) | undefined;
      if (options.pageWrites) {
        try {
          release = await options.pageWrites.acquire(lease);
        } catch {
          return aborted(lease, additions);
        }
      }
      try {
        const refused = await mayWrite();
        if (refused) return refused;
        const written = await cache.writeAgentPage({
          agent: agent.id,
          run,
          resources: page.records,
          fetchedAt: page.readStartedAt,
        });
        additions += written.written.length;
      } catch (error) {
        return stopped('failure', `write failed: ${describeError(error)}`);
      } finally {
        release?.();
      }
      records += page.records.length;
      readStartedAt = page.readStartedAt;
    }
    // Complete. A run that found nothing evicts nothing: an empty answer is likelier a fault
    // than an account emptied at once (the next non-empty run evicts what is gone).
    if (records === 0 || readStartedAt === undefined) {
      return { outcome: 'success', additions, evictions: 0, error: null };
    }
    const refused = await mayWrite();
    if (refused) return refused;
    try {
      const { evicted } = await cache.completeAgentRun({
        agent: agent.id,
        run,
        authoritativeTypes: [...agent.authoritativeTypes],
        fetchedAt: readStartedAt,
      });
      return { outcome: 'success', additions, evictions: evicted.length, error: null };
    } catch (error) {
      return stopped('failure', `eviction failed: ${describeError(error)}`);
    }
  } finally {
    stop.abort();
    // Lets the agent clean up (its `finally` blocks) once its read in flight has settled.
    void Promise.resolve()
      .then(() => pages.return?.())
      .catch(() => undefined);
  }
}

/** The agent's pages, each with the read start it is written as of. */
function pagesOf(agent: AnyCachingAgent, ctx: AgentContext): AsyncIterable<RunPage> {
  return isStreamingAgent(agent) ? streamed(agent, ctx) : loaded(agent, ctx);
}

async function* streamed(agent: StreamingCachingAgent, ctx: AgentContext): AsyncGenerator<RunPage> {
  // Fixed before the agent makes its first AWS call: every page is written as of this time.
  const readStartedAt = ctx.now();
  const stream = agent.stream({ ...ctx, readStartedAt }) as Partial<AsyncIterable<unknown>> | undefined;
  if (typeof stream?.[Symbol.asyncIterator] !== 'function') {
    throw new AgentContractError('the agent stream() returned no async iterable of pages');
  }
  for await (const records of stream as AsyncIterable<CacheRecord[]>) yield { records, readStartedAt };
}

async function* loaded(agent: CachingAgent, ctx: AgentContext): AsyncGenerator<RunPage> {
  if (typeof (agent as Partial<CachingAgent>).load !== 'function') {
    throw new AgentContractError('the agent has neither stream() nor load()');
  }
  const result = await agent.load(ctx);
  if (!result || !Array.isArray(result.resources)) {
    throw new AgentContractError('the agent returned no resources array');
  }
  if (!(result.readStartedAt instanceof Date) || Number.isNaN(result.readStartedAt.getTime())) {
    throw new AgentContractError('the agent returned no valid readStartedAt');
  }
  yield { records: result.resources, readStartedAt: result.readStartedAt };
}

/** The report of a run stopped by its signal (or by a lease found lost: `otherwise`, when the signal gives no reason). */
function aborted(
  signal: AbortSignal,
  additions: number,
  otherwise: 'lease_lost' | 'shutdown' = 'shutdown',
): RunReport {
  const cause = signal.reason instanceof AbortedError ? signal.reason.reason : otherwise;
  const error = new AbortedError(cause).message;
  // A run over its time limit failed (the lease is still ours); the others were taken from us.
  if (cause === 'timeout') return { outcome: 'failure', additions, evictions: 0, error };
  return { outcome: 'aborted', additions, evictions: 0, error, abortedBy: cause };
}
