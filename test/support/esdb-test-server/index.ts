export { startEsdbTestServer } from './server';
export type { EsdbTestServer, EsdbTestServerOptions } from './server';
export { EventLog } from './event-log';
export type { LoggedEvent } from './event-log';
