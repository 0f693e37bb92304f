/** Types of broker.js for the TypeScript that starts brokers (jest global setup, outage test, relay benchmark). */
export interface StartedBroker {
  bootstrap: string;
  port: number;
  controllerPort: number;
  pid: number;
  /** The broker's run folder (config, log, data). */
  dir: string;
  /** Milliseconds from spawn to ready. */
  startMs: number;
}

export function startBroker(options?: { port?: number; controllerPort?: number; fresh?: boolean }): Promise<StartedBroker>;

/** Resolves with the pid that was stopped, or undefined when none ran. */
export function stopBroker(options?: { port?: number; graceMs?: number; removeData?: boolean }): Promise<number | undefined>;

export function ensureJars(): void;
