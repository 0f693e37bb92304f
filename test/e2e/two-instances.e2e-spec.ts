/**
 * Two API instances on one EventStoreDB (the production shape): each keeps
 * course state folded between commands, so each must notice what the other
 * wrote — refusing only on the store's current state, and never accepting a
 * command decided on a stale state.
 */
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdb-test-server';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import {
  LedgerClient,
  startLedgerApp,
  tempDataDir,
  tokenFor,
  type LedgerApp,
} from '../support/ledger-app';
import { CourseDriver, session } from './course-scenario';

describe('two API instances on one EventStoreDB', () => {
  let server: EsdbTestServer;
  let first: LedgerApp;
  let second: LedgerApp;

  beforeAll(async () => {
    server = await startEsdbTestServer();
    // One key store for both (privacy.md: data keys apart from the events, shared by every
    // instance): on one host a shared file and KEK, until the PostgreSQL key store.
    const env = {
      EVENTSTORE_CONNECTION_STRING: server.connectionString,
      PHI_KEY_STORE: path.join(tempDataDir('ipt-twins-keys-'), 'keys.sqlite'),
      PHI_KEK: randomBytes(32).toString('base64'),
    };
    [first, second] = await Promise.all([startLedgerApp({ env }), startLedgerApp({ env })]);
  }, 60000);

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await server?.stop();
  });

  it('each decides on what the other recorded', async () => {
    const token = tokenFor('clinic-twins', ['clinician', 'auditor']);
    const a = new LedgerClient(first.baseUrl, token);
    const b = new LedgerClient(second.baseUrl, token);
    const viaA = await CourseDriver.enroll(a, {
      plannedSessions: 12,
      override: { reason: 'screen reviewed by the psychiatrist' },
      screening: {
        psychosis: true,
        bipolarDisorder: false,
        primarySubstanceUse: false,
        acuteSuicideRisk: false,
      },
    });
    const viaB = new CourseDriver(b, viaA.courseId);
    await viaA.send('/sessions', session(1));
    await viaB.send('/sessions', session(2));

    // A last saw session 1: session 3 is right on the store's state, so A must accept it.
    expect((await viaA.attempt('/sessions', session(3))).status).toBe(200);
    // B last saw session 2: its own state would accept session 3 again; the store's does not.
    const duplicate = await viaB.attempt('/sessions', session(3));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('session_out_of_order');
    // An If-Match with the real revision is honoured by an instance that had not seen it.
    const history = await a.get(viaA.path('/history'));
    const head = history.body.events.length - 1;
    expect((await viaB.attempt('/sessions', session(4), { 'if-match': `"${head}"` })).status).toBe(
      200,
    );
    expect((await viaA.attempt('/sessions', session(4), { 'if-match': `"${head}"` })).status).toBe(
      412,
    );

    const events = (await b.get(viaA.path('/history'))).body.events;
    // B opens the PHI that A sealed: the key store is shared.
    expect(events[0].data.phi.overrideReason).toBe('screen reviewed by the psychiatrist');
    expect(
      events
        .filter((e: { type: string }) => e.type === 'SessionHeld')
        .map((e: any) => e.data.sessionNumber),
    ).toEqual([1, 2, 3, 4]);
  });
});
