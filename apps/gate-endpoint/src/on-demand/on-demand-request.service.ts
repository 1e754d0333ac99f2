import { Injectable } from '@nestjs/common';
import { CacheStore, refreshRequestFor } from '@event-cache/cache-store';
import { MetricsService, parseInput } from '@event-cache/platform';
import { AccountsService } from '../common/accounts.service';
import {
  ON_DEMAND_BODIES,
  ON_DEMAND_TYPES,
  type OnDemandType,
  onDemandType,
  planOnDemand,
} from './on-demand.plan';

/** Clouddriver's answer: the keys a caller can wait for, by cache type (`{}`: nothing to wait for). */
export interface CachedIdentifiers {
  cachedIdentifiersByType: Record<string, string[]>;
}

export interface OnDemandResult {
  /** 202: a refresh is pending (poll GET /cache/aws/{type} or `location`); 200: nothing to wait for. */
  status: 200 | 202;
  location?: string;
  body: CachedIdentifiers;
}

/** How recent a read saying "being deleted" must be to answer 200 without waiting (docs/compatibility.md). */
export const DELETING_READ_MAX_AGE_MS = 60_000;

const NOTHING: OnDemandResult = { status: 200, body: { cachedIdentifiersByType: {} } };

/**
 * `POST /cache/aws/{type}` as Clouddriver answers it (docs/architecture.md#clouddriver-compatible-force-refresh), so an unmodified Orca works:
 * a known account/region enqueues an on-demand refresh (coalescing with one already pending for
 * the key) and answers 202 with its key; an unknown type, account or region, or a server group
 * our last read found being deleted, answers 200 with nothing to wait for; only a malformed body
 * is a 400.
 */
@Injectable()
export class OnDemandRequestService {
  private readonly requests;
  private readonly refreshes;

  constructor(
    private readonly store: CacheStore,
    private readonly accounts: AccountsService,
    metrics: MetricsService,
  ) {
    this.requests = metrics.counter({
      name: 'on_demand_requests_total',
      help: 'Force-refresh calls by on-demand type and result (pending, nothing_to_wait_for)',
      labelNames: ['type', 'result'],
    });
    this.refreshes = metrics.counter({
      name: 'refresh_requests_total',
      help: 'Refresh requests enqueued, by origin, key type and whether they folded into a pending one',
      labelNames: ['origin', 'type', 'coalesced'],
    });
  }

  async request(rawType: string, body: unknown): Promise<OnDemandResult> {
    const type = onDemandType(rawType);
    if (type === undefined) return this.nothing('unsupported');
    const input = parseInput(ON_DEMAND_BODIES[type], body);
    if (!this.accounts.has(input.account, input.region)) return this.nothing(type);
    const plan = planOnDemand(type, input);
    if (plan.kind === 'nothing') return this.nothing(type);
    if (plan.kind === 'run_agent') {
      await this.store.schedules.runNow({
        account: input.account,
        region: input.region,
        kind: plan.agentKind,
      });
      return this.nothing(type);
    }
    const deleting = type === 'ServerGroup' && (await this.beingDeleted(plan.target.key));
    const [enqueued] = await this.store.refreshes.enqueue([
      refreshRequestFor(plan.target, 'on-demand', new Date(), plan.extra),
    ]);
    this.refreshes.inc({
      origin: 'on-demand',
      type: plan.target.type,
      coalesced: String(enqueued.coalesced),
    });
    // Clouddriver reads the ASG at once and answers 200 when it is gone or being deleted; we know
    // that cheaply only from our own last read (see docs/compatibility.md). The refresh still runs.
    if (deleting) return this.nothing(type);
    this.requests.inc({ type, result: 'pending' });
    return {
      status: 202,
      location: `/refreshes/${enqueued.id}`,
      body: { cachedIdentifiersByType: { [ON_DEMAND_TYPES[type]]: [plan.target.key] } },
    };
  }

  /**
   * True when a recent AWS read of this server group found its Auto Scaling group being deleted
   * (a `Status` such as "Delete in progress"), which Clouddriver treats as gone. An older read is
   * not trusted: the deletion may have finished since and the name been taken again.
   */
  private async beingDeleted(key: string): Promise<boolean> {
    const status = await this.store.resources.attributeOf(key, ['asg', 'status']);
    return (
      typeof status?.value === 'string' &&
      status.value !== '' &&
      Date.now() - status.fetchedAt.getTime() <= DELETING_READ_MAX_AGE_MS
    );
  }

  private nothing(type: OnDemandType | 'unsupported'): OnDemandResult {
    this.requests.inc({ type, result: 'nothing_to_wait_for' });
    return NOTHING;
  }
}
