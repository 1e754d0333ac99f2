const MESSAGES = {
  lease_lost: 'aborted: the lease was lost',
  shutdown: 'aborted: the replica is shutting down',
  timeout: 'aborted: the run took longer than its time limit',
};

/** Why a run or a batch was aborted: the signal's reason. */
export class AbortedError extends Error {
  override readonly name = 'AbortedError';
  constructor(readonly reason: 'lease_lost' | 'shutdown' | 'timeout') {
    super(MESSAGES[reason]);
  }
}

/**
 * Settles with `work`, or rejects as soon as `signal` aborts: a caller stops waiting for work that
 * ignores its signal (its late result is dropped, its late rejection swallowed).
 */
export function untilAborted<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
  const running = Promise.resolve().then(work);
  if (signal.aborted) {
    running.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      running.catch(() => undefined);
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    running.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new AbortedError('shutdown');
}
