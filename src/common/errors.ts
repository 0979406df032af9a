/**
 * Base of every error qrtrd throws on purpose.
 *
 * One subclass per failure mode. `code` is stable and machine-readable (tests and
 * callers switch on it, never on message text); `name` equals the class name;
 * `details` carries the offending values so an error can cross a process boundary
 * (local-client protocol, CLI --json) without losing information.
 */
export class QrtrdError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  toJSON(): { name: string; code: string; message: string; details: Readonly<Record<string, unknown>> } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/** Formats a number as 0x-prefixed hex, for error messages about wire values. */
export function hex(value: number | bigint, width = 0): string {
  return '0x' + value.toString(16).padStart(width, '0');
}

/** Thrown when a caller passes an argument outside its documented range. */
export class InvalidArgumentError extends QrtrdError {
  constructor(name: string, expected: string, actual: unknown) {
    super(
      'QRTRD_INVALID_ARGUMENT',
      `Expected ${expected} for ${name} but received ${String(actual)} of type ${typeof actual}`,
      { name, expected, actual: typeof actual === 'bigint' ? actual.toString() : actual },
    );
  }
}
