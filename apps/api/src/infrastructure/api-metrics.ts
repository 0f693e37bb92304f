/**
 * The API process's prom-client registry, with the figures recorded on the
 * request and write paths (HTTP latency, commands, appends) and the event
 * store's, read at each scrape. The operations module adds the in-process
 * workers' figures to the same registry.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { EVENT_STORE, type EventStore } from '@ipt/event-store';
import {
  commandMetrics,
  createRegistry,
  httpMetrics,
  registerEventStoreMetrics,
  type CommandMetrics,
} from '@ipt/observability';

@Injectable()
export class ApiMetrics {
  readonly registry: Registry = createRegistry();
  readonly http = httpMetrics(this.registry);
  readonly commands: CommandMetrics = commandMetrics(this.registry);

  constructor(@Inject(EVENT_STORE) store: EventStore) {
    registerEventStoreMetrics(this.registry, store);
  }
}
