/**
 * The error hierarchy of grsd. Every error the library throws on purpose is a {@link GrsdError}
 * with a stable {@link GrsdErrorCode}; programs should branch on `code`, not on messages.
 *
 * Programmer errors (bad shapes, invalid options, exceeded limits) throw. Data-dependent
 * degeneracy (a lane of Lanczos that breaks down, a fit with too few points) does not throw:
 * it is reported in the result's diagnostics.
 *
 * This module is the lowest layer: it imports nothing from the rest of the package.
 * @module
 */

/** Stable machine-readable error codes. New codes may be added; existing ones never change meaning. */
export type GrsdErrorCode =
  | 'GRSD_NO_ADAPTER'
  | 'GRSD_GPU_VALIDATION'
  | 'GRSD_GPU_OUT_OF_MEMORY'
  | 'GRSD_DEVICE_LOST'
  | 'GRSD_LIMIT_EXCEEDED'
  | 'GRSD_INVALID_ARGUMENT'
  | 'GRSD_FILE_FORMAT'
  | 'GRSD_FILE_READ'
  | 'GRSD_DISPOSED'
  | 'GRSD_MISSING_DEPENDENCY'
  | 'GRSD_DEPENDENCY_LOAD'
  | 'GRSD_INTERNAL';

/** Base class of every error grsd throws on purpose. */
export class GrsdError extends Error {
  /** Stable code, safe to branch on. */
  readonly code: GrsdErrorCode;
  constructor(code: GrsdErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** One attempt to obtain a WebGPU adapter, as reported by device acquisition and `grsd doctor`. */
export interface AdapterAttempt {
  /** What was tried, e.g. `"core (default backend)"` or `"compatibility (opengles)"`. */
  readonly route: string;
  /** Whether an adapter and device were obtained on this route. */
  readonly ok: boolean;
  /** Why the route failed, or a note about the adapter found. */
  readonly detail: string;
}

/** No WebGPU adapter could be obtained. `attempts` lists every route tried and why it failed. */
export class NoAdapterError extends GrsdError {
  /** Every route tried (e.g. Dawn, navigator.gpu) and why it failed. */
  readonly attempts: readonly AdapterAttempt[];
  /** How to get an adapter on this platform (packages to install, flags to set). */
  readonly hint: string;
  constructor(attempts: readonly AdapterAttempt[], hint: string) {
    const tried = attempts.length ? attempts.map((a) => `  - ${a.route}: ${a.detail}`).join('\n') : '  (nothing could be tried)';
    super('GRSD_NO_ADAPTER', `No WebGPU adapter found. Tried:\n${tried}\n${hint}`);
    this.attempts = attempts;
    this.hint = hint;
  }
}

/** A WebGPU validation error captured with an error scope around the named kernel or operation. */
export class GpuValidationError extends GrsdError {
  /** The kernel or operation whose commands failed validation. */
  readonly kernel: string;
  constructor(kernel: string, gpuMessage: string) {
    super('GRSD_GPU_VALIDATION', `GPU validation error in ${kernel}: ${gpuMessage}`);
    this.kernel = kernel;
  }
}

/** The device ran out of memory while running the named kernel or operation. */
export class GpuOutOfMemoryError extends GrsdError {
  /** The kernel or operation that ran out of memory. */
  readonly kernel: string;
  constructor(kernel: string, gpuMessage: string) {
    super(
      'GRSD_GPU_OUT_OF_MEMORY',
      `GPU out of memory in ${kernel}: ${gpuMessage}. Reduce the batch or problem size, or dispose unused results.`,
    );
    this.kernel = kernel;
  }
}

/**
 * The GPU device was lost (driver reset, `device.destroy()` by someone else, or the context was
 * disposed while work was pending). Pending work rejects with this error; the context is unusable
 * afterwards, but a new context can be created.
 */
export class DeviceLostError extends GrsdError {
  /** WebGPU's lost reason (`"destroyed"` or `"unknown"`), or `"disposed"`. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('GRSD_DEVICE_LOST', `GPU device lost (${reason}): ${message || 'no message'}. Create a new context to continue.`);
    this.reason = reason;
  }
}

/** A problem exceeds a device limit and cannot be split to fit. */
export class DeviceLimitError extends GrsdError {
  /** The limit exceeded: a WebGPU limit name (e.g. `maxStorageBufferBindingSize`) or a description (`elements per buffer`). */
  readonly limit: string;
  /** The value the problem needs. */
  readonly requested: number;
  /** The device's value. */
  readonly available: number;
  constructor(limit: string, requested: number, available: number, what: string) {
    super('GRSD_LIMIT_EXCEEDED', `${what} needs ${limit} = ${requested}, but the device allows ${available}.`);
    this.limit = limit;
    this.requested = requested;
    this.available = available;
  }
}

/** An argument is invalid. `argument` names it; the message says what was expected and what was received. */
export class InvalidArgumentError extends GrsdError {
  /** The argument's name (a dotted path for a field, e.g. `task.points`). */
  readonly argument: string;
  constructor(argument: string, problem: string) {
    super('GRSD_INVALID_ARGUMENT', `Invalid argument \`${argument}\`: ${problem}`);
    this.argument = argument;
  }
}

/** A file is malformed. `file` names it; `fault` says what is wrong. No partial result is returned. */
export class FileFormatError extends GrsdError {
  /** The file (as given). */
  readonly file: string;
  /** What is wrong with it. */
  readonly fault: string;
  constructor(file: string, fault: string) {
    super('GRSD_FILE_FORMAT', `${file}: ${fault}`);
    this.file = file;
    this.fault = fault;
  }
}

/** A file could not be read (missing, unreadable, a directory). */
export class FileReadError extends GrsdError {
  /** The file (as given). */
  readonly file: string;
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super('GRSD_FILE_READ', `${file}: ${problem}`, options);
    this.file = file;
  }
}

/**
 * A path named inside an input (a manifest field) resolves, after symbolic links, outside the
 * directory it is confined to (docs/formats.md, Security and limits). Nothing was read from it.
 */
export class PathOutsideRootError extends FileReadError {
  /** The field that names the path, e.g. `checkpoints[3].kernel`. */
  readonly field: string;
  /** The directory the path must stay in. */
  readonly root: string;
  constructor(file: string, field: string, root: string, problem: string) {
    super(file, `${field}: ${problem}`);
    this.field = field;
    this.root = root;
  }
}

/** A disposed resource was used. */
export class DisposedError extends GrsdError {
  constructor(what: string) {
    super('GRSD_DISPOSED', `${what} was used after dispose().`);
  }
}

/**
 * A dependency that this feature needs is not installed: `webgpu`, `vega` or `vega-lite` (optional
 * dependencies: see docs/platforms.md, "Install footprint"), or `typegpu` (a peer dependency, loaded
 * when the first GPU context is created).
 */
export class MissingDependencyError extends GrsdError {
  /** The npm package that is missing. */
  readonly packageName: string;
  constructor(packageName: string, feature: string, options?: { cause?: unknown }) {
    super(
      'GRSD_MISSING_DEPENDENCY',
      `${feature} needs the package "${packageName}", which is not installed (an optional or peer dependency of grsd). Install it with: npm install ${packageName}`,
      options,
    );
    this.packageName = packageName;
  }
}

/**
 * A dependency that this feature needs is installed but could not be loaded: e.g. a bundled
 * browser app whose chunk for `typegpu` failed to download, or a package that throws while it is
 * imported. The original error is the `cause`. grsd tries to load it again on the next call; a
 * browser that failed to fetch the chunk keeps that failure until the page is reloaded.
 */
export class DependencyLoadError extends GrsdError {
  /** The npm package that failed to load. */
  readonly packageName: string;
  constructor(packageName: string, feature: string, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      'GRSD_DEPENDENCY_LOAD',
      `${feature} needs the package "${packageName}", which failed to load: ${reason}. In a bundled app, check that the bundler emitted its chunk and that the server serves it (browsers cache a failed dynamic import until the page is reloaded).`,
      options,
    );
    this.packageName = packageName;
  }
}

/** An internal invariant failed: a bug in grsd. Please report it with the message. */
export class InternalError extends GrsdError {
  constructor(message: string) {
    super('GRSD_INTERNAL', `Internal error (please report): ${message}`);
  }
}

/** Throws {@link InternalError} when `condition` is false. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InternalError(message);
}
