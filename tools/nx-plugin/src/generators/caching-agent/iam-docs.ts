import type { Tree } from '@nx/devkit';

/** The policy of the role caching-agents assumes in each cached account. */
export const MEMBER_ACCOUNT_POLICY = 'docs/aws/iam/member-account-policy.json';
/** The AWS set-up guide, which shows every docs/aws document verbatim and lists each service's calls. */
export const AWS_SETUP_PAGE = 'docs/aws-setup.md';

export interface IamDocsChange {
  /** Files changed (none when the action was already there). */
  updated: string[];
  /** Why nothing was changed, when nothing was. */
  reason?: string;
}

interface Statement {
  Action?: string | string[];
  [key: string]: unknown;
}

/**
 * Grants `action` (`ec2:DescribeNatGateways`) in the member-account policy, next to the other
 * actions of its service, and keeps the AWS set-up guide showing that policy verbatim and naming
 * the call in its table of what caching-agents sends.
 */
export function addIamAction(tree: Tree, action: string): IamDocsChange {
  const before = tree.read(MEMBER_ACCOUNT_POLICY, 'utf-8');
  if (before === null) return { updated: [], reason: `${MEMBER_ACCOUNT_POLICY} does not exist` };
  const policy = JSON.parse(before) as { Statement?: Statement[] };
  const statements = policy.Statement ?? [];
  const actionsOf = (s: Statement) => (typeof s.Action === 'string' ? [s.Action] : (s.Action ?? []));
  if (statements.some((s) => actionsOf(s).includes(action))) {
    return { updated: [], reason: `${MEMBER_ACCOUNT_POLICY} already allows ${action}` };
  }
  const [service] = action.split(':');
  const target =
    statements.find((s) => actionsOf(s).some((a) => a.startsWith(`${service}:`))) ?? statements[0];
  if (target === undefined) return { updated: [], reason: `${MEMBER_ACCOUNT_POLICY} has no statement` };
  const actions = actionsOf(target);
  const lastOfService = actions.reduce((last, a, i) => (a.startsWith(`${service}:`) ? i : last), -1);
  actions.splice(lastOfService + 1, 0, action);
  target.Action = actions;
  const after = `${JSON.stringify(policy, null, 2)}\n`;
  tree.write(MEMBER_ACCOUNT_POLICY, after);

  const updated = [MEMBER_ACCOUNT_POLICY];
  const page = tree.read(AWS_SETUP_PAGE, 'utf-8');
  if (page !== null) {
    let text = page.replace(`\`\`\`json\n${before.trim()}\n\`\`\``, `\`\`\`json\n${after.trim()}\n\`\`\``);
    const operation = action.slice(service.length + 1);
    // The caching-agents row of "what each service calls": `... there: EC2 `A`, `B`; ...`.
    text = text.replace(/(\| `caching-agents` .*?there: EC2 [^;|]*?)(;)/, `$1, \`${operation}\`$2`);
    if (text !== page) {
      tree.write(AWS_SETUP_PAGE, text);
      updated.push(AWS_SETUP_PAGE);
    }
  }
  return { updated };
}
