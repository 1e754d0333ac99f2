import type { Answer } from './support';

export interface OrcaEndpoints {
  post(type: string, body: object): Promise<Answer>;
  get(type: string): Promise<Answer>;
}

/**
 * A replay of Orca's ServerGroupCacheForceRefreshTask (orca-clouddriver), one `cycle()` per task
 * execution: POST every server group not yet refreshed (a 200 means applied immediately); then
 * poll GET /cache/aws/ServerGroup: an entry matches when its details contain {serverGroup, region,
 * account}; no entry -> POST again; no entry recent enough (cacheTime >= stage start) -> wait; not
 * processed -> wait; processed or asked before the stage started -> forget it and ask again;
 * otherwise processed. SUCCEEDED once every server group is processed.
 */
export class OrcaServerGroupRefresh {
  readonly posts: Answer[] = [];
  private readonly refreshed = new Set<string>();
  private readonly processed = new Set<string>();

  constructor(
    private readonly orca: OrcaEndpoints,
    private readonly stage: { account: string; region: string; serverGroups: string[]; startTime: number },
  ) {}

  async cycle(): Promise<'RUNNING' | 'SUCCEEDED'> {
    const { account, region, serverGroups, startTime } = this.stage;
    const refreshable = serverGroups.filter((sg) => !this.refreshed.has(sg));
    if (refreshable.length > 0) {
      let allApplied = true;
      for (const sg of refreshable) {
        const answer = await this.post(sg);
        if (answer.status !== 200) allApplied = false;
        this.refreshed.add(sg);
      }
      return allApplied ? 'SUCCEEDED' : 'RUNNING';
    }

    const pending = (await this.orca.get('ServerGroup')).body as {
      details: Record<string, unknown>;
      cacheTime: number;
      processedTime: number | null;
    }[];
    const isRecent = pending.some((p) => p.cacheTime >= startTime);
    let finished = true;
    for (const sg of serverGroups) {
      if (this.processed.has(sg)) continue;
      const model = { serverGroup: sg, region, account };
      const update = pending.find((p) => Object.entries(model).every(([k, v]) => p.details[k] === v));
      if (!update) {
        this.refreshed.delete(sg);
        const answer = await this.post(sg);
        if (answer.status === 200) {
          this.processed.add(sg);
          continue;
        }
        this.refreshed.add(sg);
        finished = false;
        continue;
      }
      if (!isRecent || !update.processedTime) {
        finished = false;
        continue;
      }
      if (update.processedTime < startTime || update.cacheTime < startTime) {
        this.refreshed.delete(sg);
        finished = false;
        continue;
      }
      this.processed.add(sg);
    }
    return finished ? 'SUCCEEDED' : 'RUNNING';
  }

  private async post(serverGroup: string): Promise<Answer> {
    const { account, region } = this.stage;
    const answer = await this.orca.post('ServerGroup', {
      asgName: serverGroup,
      serverGroupName: serverGroup,
      region,
      account,
    });
    this.posts.push(answer);
    return answer;
  }
}
