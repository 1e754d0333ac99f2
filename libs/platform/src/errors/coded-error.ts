/**
 * An error a lib throws on purpose, with a stable machine-readable code. Apps map codes to HTTP
 * statuses in one exhaustive switch (see CodedErrorFilter); the message is safe to show callers.
 */
export class CodedError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CodedError';
  }
}

export function isCodedError(e: unknown): e is CodedError {
  return e instanceof CodedError;
}
