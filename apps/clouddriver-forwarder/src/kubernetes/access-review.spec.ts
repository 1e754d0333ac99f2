import { accessChecks, describeMissingAccess, qualifiedResource, roleRule } from './access-review';

describe('access review', () => {
  it('asks list and watch on endpoints and endpointslices.discovery.k8s.io in the namespace', () => {
    expect(accessChecks('spinnaker')).toEqual([
      { verb: 'list', resource: 'endpointslices', namespace: 'spinnaker' },
      { verb: 'watch', resource: 'endpointslices', namespace: 'spinnaker' },
      { verb: 'list', resource: 'endpoints', namespace: 'spinnaker' },
      { verb: 'watch', resource: 'endpoints', namespace: 'spinnaker' },
    ]);
    expect(qualifiedResource('endpointslices')).toBe('endpointslices.discovery.k8s.io');
    expect(qualifiedResource('endpoints')).toBe('endpoints');
  });

  it('names what is missing, where, and the Role rule that grants it', () => {
    expect(
      describeMissingAccess([
        { verb: 'watch', resource: 'endpoints', namespace: 'spin' },
        { verb: 'list', resource: 'endpointslices', namespace: 'spin' },
      ]),
    ).toBe(
      'missing Kubernetes permission: watch on endpoints in namespace "spin"; grant it with this rule in a Role of ' +
        'namespace "spin" bound to the forwarder\'s service account: {apiGroups: [""], resources: ["endpoints"], verbs: ["list", "watch"]}. ' +
        'missing Kubernetes permission: list on endpointslices.discovery.k8s.io in namespace "spin"; grant it with this rule in a Role of ' +
        'namespace "spin" bound to the forwarder\'s service account: {apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"]}',
    );
    expect(roleRule('endpoints')).toBe(
      '{apiGroups: [""], resources: ["endpoints"], verbs: ["list", "watch"]}',
    );
  });
});
