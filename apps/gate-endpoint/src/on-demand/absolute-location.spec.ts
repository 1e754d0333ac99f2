import { absoluteLocation } from './on-demand.controller';

describe('absoluteLocation (the Location of a 202, polled by Orca webhook stages)', () => {
  const req = (headers: Record<string, string>, protocol = 'http') => ({ headers, protocol });

  it('is an absolute URL on the host the caller used', () => {
    expect(absoluteLocation(req({ host: 'event-cache-gate-endpoint.spinnaker:8090' }), '/refreshes/7')).toBe(
      'http://event-cache-gate-endpoint.spinnaker:8090/refreshes/7',
    );
    expect(absoluteLocation(req({ host: '[::1]:8090' }), '/refreshes/7')).toBe(
      'http://[::1]:8090/refreshes/7',
    );
  });

  it('keeps https when TLS ended in front of the service', () => {
    expect(
      absoluteLocation(
        req({ host: 'cache.example.com', 'x-forwarded-proto': 'https, http' }),
        '/refreshes/7',
      ),
    ).toBe('https://cache.example.com/refreshes/7');
    expect(
      absoluteLocation(req({ host: 'cache.example.com', 'x-forwarded-proto': 'javascript' }), '/refreshes/7'),
    ).toBe('http://cache.example.com/refreshes/7');
  });

  it('falls back to the relative path rather than echo a strange Host', () => {
    expect(absoluteLocation(req({}), '/refreshes/7')).toBe('/refreshes/7');
    for (const host of ['evil.example.com/x', 'a b', 'user@host', 'host:port', 'h\u00e9llo']) {
      expect(absoluteLocation(req({ host }), '/refreshes/7')).toBe('/refreshes/7');
    }
  });
});
