import { writeFileSync } from 'node:fs';
import { AwsClientPool } from '@event-cache/aws-agents';
import { systemClock } from '@event-cache/agents';
import { type AccountShape, AwsDouble } from './aws-double';

/**
 * `node -r dist/tools/bench/aws-double.preload.js dist/apps/caching-agents/src/main.js`: the
 * caching-agents service, unchanged, in its own process, with every EC2, Auto Scaling, ELBv2 and
 * CloudWatch call answered at once by the in-process AWS double (BENCH_AWS_SHAPE: the account's size as
 * JSON). For bench:refresh, which measures the services themselves with AWS latency excluded.
 */
const shape = JSON.parse(process.env.BENCH_AWS_SHAPE ?? 'null') as AccountShape | null;
if (!shape) throw new Error('BENCH_AWS_SHAPE is required');
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const before = process.memoryUsage().heapUsed;
const clients = new AwsDouble(systemClock, shape, { baseMs: 0, perItemMs: 0, jitter: 0 }).clients();
gc?.();
// The double lives in this process but is not the service: the bench subtracts its heap.
if (process.env.BENCH_DOUBLE_REPORT) {
  writeFileSync(process.env.BENCH_DOUBLE_REPORT, String(process.memoryUsage().heapUsed - before));
}

AwsClientPool.prototype.ec2 = (account, region) => clients.ec2(account, region);
AwsClientPool.prototype.autoScaling = (account, region) => clients.autoScaling(account, region);
AwsClientPool.prototype.elasticLoadBalancingV2 = (account, region) =>
  clients.elasticLoadBalancingV2(account, region);
AwsClientPool.prototype.cloudWatch = (account, region) => clients.cloudWatch(account, region);
