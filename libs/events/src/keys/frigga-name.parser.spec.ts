import { parseFriggaName } from './frigga-name.parser';

// Expectations taken from Frigga's own NamesSpec, which Clouddriver's keys rely on.
describe('parseFriggaName', () => {
  it.each([
    [
      'actiondrainer',
      {
        group: 'actiondrainer',
        cluster: 'actiondrainer',
        app: 'actiondrainer',
        stack: null,
        detail: null,
        push: null,
        sequence: null,
      },
    ],
    [
      'actiondrainer-v003',
      {
        group: 'actiondrainer-v003',
        cluster: 'actiondrainer',
        app: 'actiondrainer',
        stack: null,
        detail: null,
        push: 'v003',
        sequence: 3,
      },
    ],
    [
      'actiondrainer--v003',
      { cluster: 'actiondrainer-', app: 'actiondrainer', stack: null, detail: null, sequence: 3 },
    ],
    [
      'actiondrainer---v003',
      { cluster: 'actiondrainer--', app: 'actiondrainer', stack: null, detail: null, sequence: 3 },
    ],
    [
      'api-test-A',
      { cluster: 'api-test-A', app: 'api', stack: 'test', detail: 'A', push: null, sequence: null },
    ],
    [
      'api-test-A-v406',
      {
        group: 'api-test-A-v406',
        cluster: 'api-test-A',
        app: 'api',
        stack: 'test',
        detail: 'A',
        push: 'v406',
        sequence: 406,
      },
    ],
    ['api-test-~A-v004', { cluster: 'api-test-~A', app: 'api', stack: 'test', detail: '~A', sequence: 4 }],
    ['api-test-^A-v004', { cluster: 'api-test-^A', detail: '^A', sequence: 4 }],
    ['api--~A-v004', { cluster: 'api--~A', app: 'api', stack: null, detail: '~A', sequence: 4 }],
    ['api-test101', { cluster: 'api-test101', app: 'api', stack: 'test101', detail: null, sequence: null }],
    [
      'chukwa.collector_1-v889',
      { cluster: 'chukwa.collector_1', app: 'chukwa.collector_1', stack: null, sequence: 889 },
    ],
    ['discovery-us-east-1d', { app: 'discovery', stack: 'us', detail: 'east-1d', sequence: null }],
    [
      'evcache-us-east-1d-0-v223',
      { cluster: 'evcache-us-east-1d-0', app: 'evcache', stack: 'us', detail: 'east-1d-0', sequence: 223 },
    ],
    [
      'videometadata-navigator-integration-240-CAN',
      { app: 'videometadata', stack: 'navigator', detail: 'integration-240-CAN', sequence: null },
    ],
    [
      'orders-api-prod-v000',
      { cluster: 'orders-api-prod', app: 'orders', stack: 'api', detail: 'prod', push: 'v000', sequence: 0 },
    ],
    // Push sequences are exactly three digits; anything else is part of the name.
    ['app-v1234', { cluster: 'app-v1234', app: 'app', stack: 'v1234', sequence: null, push: null }],
    ['app-v12', { cluster: 'app-v12', stack: 'v12', sequence: null }],
  ])('parses %s', (name, expected) => {
    expect(parseFriggaName(name)).toMatchObject({ ...expected, valid: true });
  });

  it.each([
    'nccp-moviecontrol%27',
    'api-^test-A-v004',
    'api-~test-A-v004',
    '-v001',
    'has space',
    'a:b',
    '',
    '   ',
  ])('gives all-null fields for %p', (name) => {
    expect(parseFriggaName(name)).toEqual({
      group: null,
      cluster: null,
      app: null,
      stack: null,
      detail: null,
      push: null,
      sequence: null,
      valid: false,
    });
  });

  it('accepts null and undefined', () => {
    expect(parseFriggaName(null).valid).toBe(false);
    expect(parseFriggaName(undefined).valid).toBe(false);
  });
});
