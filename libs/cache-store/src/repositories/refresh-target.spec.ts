import type { RefreshTarget } from '@event-cache/events';
import { refreshRequestFor } from './refresh-target';

const at = new Date('2024-05-01T12:00:00Z');

describe('refreshRequestFor', () => {
  it('keys an exact target by its Clouddriver key', () => {
    const target: RefreshTarget = {
      type: 'instances',
      account: 'prod',
      region: 'us-east-1',
      key: 'aws:instances:prod:us-east-1:i-0abc',
      partial: false,
      id: 'i-0abc',
      idKind: 'instanceId',
    };
    expect(refreshRequestFor(target, 'event', at)).toEqual({
      type: 'instances',
      key: 'aws:instances:prod:us-east-1:i-0abc',
      account: 'prod',
      region: 'us-east-1',
      origin: 'event',
      requestedAt: at,
      target: { id: 'i-0abc', idKind: 'instanceId', partial: false },
    });
  });

  it('keys a partial target by its coalescing key and keeps the glob as pattern', () => {
    const target: RefreshTarget = {
      type: 'securityGroups',
      account: 'prod',
      region: 'us-east-1',
      key: 'aws:securityGroups:*:sg-0abc:us-east-1:prod:*',
      partial: true,
      id: 'sg-0abc',
      idKind: 'securityGroupId',
    };
    const request = refreshRequestFor(target, 'on-demand', at, { vpcId: 'vpc-1' });
    expect(request.key).toBe('securityGroups|prod|us-east-1|securityGroupId|sg-0abc');
    expect(request.target).toEqual({
      vpcId: 'vpc-1',
      id: 'sg-0abc',
      idKind: 'securityGroupId',
      partial: true,
      pattern: 'aws:securityGroups:*:sg-0abc:us-east-1:prod:*',
    });
  });
});
