/**
 * The production split: the API with RUN_PROJECTIONS=false serves views that
 * a separate projector worker builds into the shared data folder.
 */
import {
  LedgerClient,
  PROJECTOR_MAIN,
  startLedgerApp,
  tempDataDir,
  tokenFor,
  type LedgerApp,
} from '../support/ledger-app';
import { CourseDriver, assessment, session } from './course-scenario';

describe('the projector worker beside an API that does not project', () => {
  let api: LedgerApp;
  let projector: LedgerApp;

  beforeAll(async () => {
    const dataDir = tempDataDir();
    api = await startLedgerApp({ dataDir, env: { RUN_PROJECTIONS: 'false' } });
    projector = await startLedgerApp({
      dataDir,
      env: { LOG_LEVEL: 'info' },
      worker: { main: PROJECTOR_MAIN, readyText: '"msg":"projecting"' },
    });
  }, 60000);

  afterAll(async () => {
    await projector?.stop();
    await api?.stop();
  });

  it('serves the views the projector builds, and leaves rebuilds to the projector', async () => {
    const clinician = new LedgerClient(api.baseUrl, tokenFor('clinic-split', ['clinician']));
    const course = await CourseDriver.enroll(clinician);
    await course.send('/sessions', session(1));
    await course.send(
      '/assessments',
      assessment('GAD-7', [2, 2, 2, 2, 2, 2, 2], { timepoint: 'baseline' }),
    );
    expect(await course.view()).toMatchObject({ sessionsHeld: 1, revision: course.revision });
    expect((await course.view('/outcomes')).instruments['GAD-7'].baseline.score).toBe(14);

    const admin = clinician.as(tokenFor('clinic-split', ['admin']));
    const rebuild = await admin.post('/v1/admin/projections/course-completion/rebuild', {});
    expect(rebuild.status).toBe(409);
    expect(rebuild.body.code).toBe('projections_not_in_process');
    expect((await clinician.as(undefined).get('/health/ready')).status).toBe(200);
  }, 30000);
});
