import { IntervalPolicy } from './interval.policy';

const policy = new IntervalPolicy({
  defaultIntervalSeconds: 30,
  intervalSecondsByKind: { SecurityGroupCachingAgent: 60 },
  reconcileIntervalSeconds: 600,
  environmentMultipliers: { nonprod: 4 },
});
const now = new Date('2025-06-01T12:00:00Z');
const input = {
  kind: 'InstanceCachingAgent',
  environment: 'prod',
  pipelineHealthy: false,
  dynamicFactor: 1,
  override: null,
  now,
};
const override = (o: { intervalMs?: number; factor?: number; expiresAt?: Date | null }) => ({
  intervalMs: o.intervalMs ?? null,
  factor: o.factor ?? null,
  expiresAt: o.expiresAt ?? null,
  setBy: 'alice',
  reason: 'incident 42',
});

describe('IntervalPolicy', () => {
  it('takes the base from the kind setting, then the agent default, then the global default', () => {
    expect(policy.compute({ ...input, kind: 'SecurityGroupCachingAgent', defaultIntervalMs: 5_000 })).toEqual(
      {
        intervalMs: 60_000,
        reason: 'base 1m (polling.intervalSecondsByKind.SecurityGroupCachingAgent)',
      },
    );
    expect(policy.compute({ ...input, defaultIntervalMs: 45_000 }).reason).toBe(
      'base 45s (InstanceCachingAgent default)',
    );
    expect(policy.compute(input)).toEqual({
      intervalMs: 30_000,
      reason: 'base 30s (polling.defaultIntervalSeconds)',
    });
  });

  it('multiplies by the environment and the throttling factor, and says so', () => {
    expect(policy.compute({ ...input, environment: 'nonprod', dynamicFactor: 2 })).toEqual({
      intervalMs: 240_000,
      reason:
        'base 30s (polling.defaultIntervalSeconds) × 4 (environment nonprod) × 2 (throttling back-off) = 4m',
    });
    expect(policy.compute({ ...input, environment: 'staging' }).intervalMs).toBe(30_000);
  });

  it('uses the reconcile interval while the pipeline is healthy, never a shorter one than the base', () => {
    expect(policy.compute({ ...input, pipelineHealthy: true })).toEqual({
      intervalMs: 600_000,
      reason: 'reconcile 10m (event pipeline healthy)',
    });
    const slow = new IntervalPolicy({ ...policyConfig(), intervalSecondsByKind: { VpcCachingAgent: 3_600 } });
    expect(slow.compute({ ...input, kind: 'VpcCachingAgent', pipelineHealthy: true }).intervalMs).toBe(
      3_600_000,
    );
  });

  it('lets an absolute override win until it expires', () => {
    const active = override({ intervalMs: 5_000, expiresAt: new Date(now.getTime() + 1) });
    expect(policy.compute({ ...input, environment: 'nonprod', dynamicFactor: 8, override: active })).toEqual({
      intervalMs: 5_000,
      reason: 'override 5s by alice until 2025-06-01T12:00:00.001Z: incident 42',
    });
    const expired = override({ intervalMs: 5_000, expiresAt: now });
    expect(policy.compute({ ...input, override: expired }).intervalMs).toBe(30_000);
  });

  it('multiplies by an override factor; an override without expiry lasts', () => {
    expect(policy.compute({ ...input, override: override({ factor: 2 }) })).toEqual({
      intervalMs: 60_000,
      reason: 'base 30s (polling.defaultIntervalSeconds) × 2 (override by alice: incident 42) = 1m',
    });
  });

  it('caps intervals at a day', () => {
    expect(
      policy.compute({ ...input, pipelineHealthy: true, environment: 'nonprod', dynamicFactor: 64 })
        .intervalMs,
    ).toBe(86_400_000);
  });
});

function policyConfig() {
  return {
    defaultIntervalSeconds: 30,
    intervalSecondsByKind: {},
    reconcileIntervalSeconds: 600,
    environmentMultipliers: {},
  };
}
