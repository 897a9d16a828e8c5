/**
 * Error classes and the exit codes they map to (DESIGN.md): 0 success, 1 some items failed
 * (a report was written), 2 usage or setup error.
 */

export const EXIT_OK = 0;
export const EXIT_ITEMS_FAILED = 1;
export const EXIT_USAGE = 2;

/** Base class: every error the workbench raises on purpose. */
export class WorkbenchError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Wrong arguments, missing files or tools, an unusable configuration: exit code 2. */
export class UsageError extends WorkbenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT_USAGE, options);
  }
}

/**
 * An input file that cannot be read as what it claims to be. The message names the file, the
 * position (byte offset, line, element) and what was expected against what was found.
 * Exit code 1: the item failed.
 */
export class FormatError extends WorkbenchError {
  readonly file: string;
  readonly position: string | undefined;
  constructor(file: string, position: string | number | undefined, problem: string, options?: { cause?: unknown }) {
    const where = position === undefined ? '' : typeof position === 'number' ? ` at byte ${position}` : ` at ${position}`;
    super(`${file}${where}: ${problem}`, EXIT_ITEMS_FAILED, options);
    this.file = file;
    this.position = position === undefined ? undefined : String(position);
  }
}

/** Some items of a batch failed; the rest were done and a report names the failures: exit code 1. */
export class ItemsFailedError extends WorkbenchError {
  readonly failed: number;
  constructor(message: string, failed: number) {
    super(message, EXIT_ITEMS_FAILED);
    this.failed = failed;
  }
}

/** A numeric procedure produced NaN/Inf or diverged. Exit code 1. */
export class NumericError extends WorkbenchError {
  constructor(message: string) {
    super(message, EXIT_ITEMS_FAILED);
  }
}

/** Exit code for any error: the error's own when it is a WorkbenchError, otherwise 2. */
export function exitCodeOf(error: unknown): number {
  return error instanceof WorkbenchError ? error.exitCode : EXIT_USAGE;
}

/** Ends exhaustive switches: a compile error when a case is missing, a throw at run time. */
export function assertUnreachable(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}

/** Checks an array's length at a module boundary. */
export function assertLength(array: ArrayLike<unknown>, expected: number, name: string): void {
  if (array.length !== expected) {
    throw new RangeError(`${name}: expected length ${expected}, got ${array.length}`);
  }
}

/** Throws if any element is NaN or infinite. */
export function assertFinite(array: ArrayLike<number>, name: string): void {
  for (let i = 0; i < array.length; i++) {
    if (!Number.isFinite(array[i]!)) throw new NumericError(`${name}: element ${i} is ${array[i]}`);
  }
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
