import { type ReadinessCheck, ReadinessRunner } from './readiness';

/** A check whose answer the test controls; counts how often it was started. */
function controlledCheck(name = 'database') {
  let answer: (ready: boolean) => void = () => undefined;
  const check: ReadinessCheck & { started: number } = {
    name,
    started: 0,
    check() {
      this.started += 1;
      return new Promise((resolve) => (answer = (ready) => resolve({ ready })));
    },
  };
  return { check, answer: (ready: boolean) => answer(ready) };
}

describe('ReadinessRunner', () => {
  it('answers not ready, naming the check, when a check hangs', async () => {
    const { check } = controlledCheck();
    expect(await new ReadinessRunner(20).run(check)).toEqual({
      ready: false,
      detail: { timedOut: true, message: 'database: no answer within 20 ms' },
    });
  });

  it('joins a check still running from an earlier probe instead of starting another', async () => {
    const { check, answer } = controlledCheck();
    const runner = new ReadinessRunner(20);
    await runner.run(check);
    await runner.run(check);
    expect(check.started).toBe(1);
    const third = runner.run(check);
    answer(true); // the dependency is back: the pending check answers the probe waiting on it
    expect(await third).toEqual({ ready: true, detail: {} });
    const fourth = runner.run(check);
    expect(check.started).toBe(2); // a new probe after that one settled asks again
    answer(true);
    expect(await fourth).toEqual({ ready: true, detail: {} });
  });

  it('turns a failing check into not ready with its message', async () => {
    const failing: ReadinessCheck = {
      name: 'database',
      check: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
    };
    expect(await new ReadinessRunner(1_000).run(failing)).toEqual({
      ready: false,
      detail: { message: 'connect ECONNREFUSED 127.0.0.1:5432' },
    });
  });
});
