import { hasErrorName } from './aws-errors';

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/** Safety net against an endpoint that keeps answering with a next-page token. */
const MAX_PAGES = 100_000;

/**
 * Follows NextToken / Marker pagination page by page, checking the abort signal between pages: the
 * next page is read only when the caller asks for it (a streamed run writes each page first).
 * `fetch(token)` reads one page; `next(page)` returns its continuation token (undefined/empty at the end).
 * `map(page)` turns a page into what is yielded: the response itself is then no longer held while
 * the caller works on the page (a page of 1,000 instances is megabytes of SDK objects).
 */
export function eachPage<P>(
  signal: AbortSignal,
  fetch: (token: string | undefined) => Promise<P>,
  next: (page: P) => string | undefined,
): AsyncGenerator<P, void, undefined>;
export function eachPage<P, T>(
  signal: AbortSignal,
  fetch: (token: string | undefined) => Promise<P>,
  next: (page: P) => string | undefined,
  map: (page: P) => T,
): AsyncGenerator<T, void, undefined>;
export async function* eachPage<P, T>(
  signal: AbortSignal,
  fetch: (token: string | undefined) => Promise<P>,
  next: (page: P) => string | undefined,
  map: (page: P) => T = (page) => page as unknown as T,
): AsyncGenerator<T, void, undefined> {
  let token: string | undefined;
  let pages = 0;
  const seen = new Set<string>();
  do {
    signal.throwIfAborted();
    let page: P | undefined = await fetch(token);
    pages++;
    token = next(page) || undefined;
    if (token !== undefined) {
      if (seen.has(token) || pages >= MAX_PAGES) {
        throw new Error(`Pagination did not end (token repeated after ${pages} pages)`);
      }
      seen.add(token);
    }
    const mapped = map(page);
    page = undefined; // not held through the yield
    yield mapped;
  } while (token !== undefined);
}

/** Every page of a NextToken / Marker pagination, read to the end (see `eachPage`). */
export async function allPages<P>(
  signal: AbortSignal,
  fetch: (token: string | undefined) => Promise<P>,
  next: (page: P) => string | undefined,
): Promise<P[]> {
  const pages: P[] = [];
  for await (const page of eachPage(signal, fetch, next)) pages.push(page);
  return pages;
}

/** Every item of every page, read to the end. */
export async function collect<T>(pages: AsyncIterable<readonly T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}

/**
 * Joins consecutive small pages into batches of at least `size` items (the last one may be
 * smaller), so an API with small pages (AWS Config: 100) is written in bounded batches, not a
 * write per hundred items. Holds one batch at a time.
 */
export async function* batchesOf<T>(pages: AsyncIterable<T[]>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const page of pages) {
    batch.push(...page);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Runs `work` over `items` with at most `concurrency` in flight; results keep the input order. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export interface IsolationOptions {
  /** Error names meaning "some requested id does not exist": the whole call fails with them. */
  notFound: readonly string[];
  /** The ids a NotFound error names (EC2 lists them in its message); others are found by bisection. */
  idsInError?: (error: unknown) => string[];
}

/**
 * Reads `ids` in one call. APIs such as DescribeInstances or DescribeLoadBalancers fail the whole
 * call when one id is gone; then the ids the error names are set aside as missing and the rest is
 * read again, and when the error names none the batch is bisected, so a bad id costs O(log n)
 * extra calls, never one call per id. Any other error (throttling ...) rejects.
 */
export async function readIsolatingMissing<T>(
  ids: readonly string[],
  read: (ids: string[]) => Promise<T[]>,
  options: IsolationOptions,
): Promise<{ found: T[]; missing: string[] }> {
  if (ids.length === 0) return { found: [], missing: [] };
  try {
    return { found: await read([...ids]), missing: [] };
  } catch (error) {
    if (!hasErrorName(error, options.notFound)) throw error;
    if (ids.length === 1) return { found: [], missing: [...ids] };
    const requested = new Set(ids);
    const named = (options.idsInError?.(error) ?? []).filter((id) => requested.has(id));
    if (named.length > 0) {
      const gone = new Set(named);
      const rest = await readIsolatingMissing(
        ids.filter((id) => !gone.has(id)),
        read,
        options,
      );
      return { found: rest.found, missing: [...named, ...rest.missing] };
    }
    const half = Math.ceil(ids.length / 2);
    const left = await readIsolatingMissing(ids.slice(0, half), read, options);
    const right = await readIsolatingMissing(ids.slice(half), read, options);
    return { found: [...left.found, ...right.found], missing: [...left.missing, ...right.missing] };
  }
}

/** `load` run once, on first call; every caller shares its promise (and its rejection). */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= load());
}
