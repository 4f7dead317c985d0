// Types shared by every binding. Web types (ReadableStream, …) are named by their globals: in a
// Workers-typed (ambient) project they are the Workers ones, in a Node project Node's.

/** A clock that only moves when told to; give it to a binding as `clock`. */
export declare class ManualClock {
  /** Starts at `startMs` (milliseconds since the UNIX epoch), default the current time. */
  constructor(startMs?: number)
  /** Milliseconds since the UNIX epoch. */
  now(): number
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void
  /** Sets the clock to `ms` milliseconds since the UNIX epoch. */
  set(ms: number): void
}

/**
 * What a binding accepts as a stream argument: any Web `ReadableStream` of bytes, typed loosely so
 * that a Workers-typed stream (another type than Node's) is accepted too.
 */
export interface ReadableStreamLike {
  getReader(): any
}

/** Options every binding accepts. */
export interface BindingOptions {
  /** Directory for durable files; omitted = in-memory, private to the instance. */
  persist?: string
  /** The binding's name, also its file name under `persist`; default `"default"`. */
  name?: string
  /** A manual clock for expirations (default: the system clock). */
  clock?: ManualClock
}

