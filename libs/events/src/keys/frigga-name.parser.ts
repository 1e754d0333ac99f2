/**
 * Netflix Frigga naming convention, as Clouddriver applies it to AWS names:
 * `<app>[-<stack>[-<detail>]][-v<NNN>]`.
 *
 * Same character classes and patterns as `com.netflix.frigga.Names`:
 * - the push suffix is exactly `-v` + three digits; everything before it is the cluster;
 * - app and stack use `[a-zA-Z0-9._]`; the detail may also contain `-`, `~` and `^`;
 * - empty stack or detail parts are null (`app--detail`, `app--v001`);
 * - a name that does not match yields all-null fields (`valid: false`).
 */
export interface FriggaName {
  /** The whole name when valid (`app-stack-detail-v003`). */
  readonly group: string | null;
  /** The name without its push suffix (`app-stack-detail`). */
  readonly cluster: string | null;
  /** Application exactly as written (Clouddriver lowercases it in keys). */
  readonly app: string | null;
  readonly stack: string | null;
  readonly detail: string | null;
  /** Push suffix without the dash (`v003`). */
  readonly push: string | null;
  /** Push sequence as a number (`3` for `v003`). */
  readonly sequence: number | null;
  readonly valid: boolean;
}

const NAME_CHARS = 'a-zA-Z0-9._';
const NAME_HYPHEN_CHARS = `\\-${NAME_CHARS}~\\^`;
const PUSH_PATTERN = new RegExp(`^([${NAME_HYPHEN_CHARS}]*)-(v([0-9]{3}))$`);
const NAME_PATTERN = new RegExp(
  `^([${NAME_CHARS}]+)(?:-([${NAME_CHARS}]*)(?:-([${NAME_HYPHEN_CHARS}]*?))?)?$`,
);

const INVALID: FriggaName = Object.freeze({
  group: null,
  cluster: null,
  app: null,
  stack: null,
  detail: null,
  push: null,
  sequence: null,
  valid: false,
});

export function parseFriggaName(name: string | null | undefined): FriggaName {
  if (typeof name !== 'string' || name.trim() === '') return INVALID;
  const push = PUSH_PATTERN.exec(name);
  const cluster = push ? push[1] : name;
  const parts = NAME_PATTERN.exec(cluster);
  if (!parts) return INVALID;
  return {
    group: name,
    cluster,
    app: parts[1],
    stack: emptyToNull(parts[2]),
    detail: emptyToNull(parts[3]),
    push: push ? push[2] : null,
    sequence: push ? Number.parseInt(push[3], 10) : null,
    valid: true,
  };
}

function emptyToNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}
