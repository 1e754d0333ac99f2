import { REFRESH_CHANNEL, StoreRefreshNotifications } from './refresh-notifications';

/** A store whose LISTEN connections can be broken on demand. */
function fakeStore() {
  const connections: { onNotify: (c: string) => void; onError: (e: Error) => void; closed: boolean }[] = [];
  return {
    connections,
    listen(channels: string[], onNotify: (c: string) => void, onError: (e: Error) => void = () => {}) {
      expect(channels).toEqual([REFRESH_CHANNEL]);
      const connection = { onNotify, onError, closed: false };
      connections.push(connection);
      return Promise.resolve(() => {
        connection.closed = true;
        return Promise.resolve();
      });
    },
  };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('StoreRefreshNotifications', () => {
  it('passes notifications on, listens again after the connection broke, and stops on unsubscribe', async () => {
    const store = fakeStore();
    let wakes = 0;
    const unsubscribe = await new StoreRefreshNotifications(store, 10).subscribe(() => wakes++);
    store.connections[0].onNotify(REFRESH_CHANNEL);
    expect(wakes).toBe(1);

    store.connections[0].onError(new Error('terminating connection due to administrator command'));
    await tick(50);
    expect(store.connections).toHaveLength(2);
    expect(store.connections[0].closed).toBe(true);
    expect(wakes).toBe(2); // woken after re-listening: requests may have arrived meanwhile
    store.connections[1].onNotify(REFRESH_CHANNEL);
    expect(wakes).toBe(3);

    await unsubscribe();
    expect(store.connections[1].closed).toBe(true);
    store.connections[1].onError(new Error('late'));
    await tick(30);
    expect(store.connections).toHaveLength(2);
  });
});
