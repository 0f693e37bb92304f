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
import { waitFor } from '../support/wait-for';
import { expectRebuildThroughCli, projectionsCli } from '../support/projections-cli';

describe('the projector worker beside an API that does not project', () => {
  let api: LedgerApp;
  let projector: LedgerApp;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDataDir();
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

  it('serves the views the projector builds, and has the projector carry out the rebuilds asked of it', async () => {
    const clinician = new LedgerClient(api.baseUrl, tokenFor('clinic-split', ['clinician']));
    const course = await CourseDriver.enroll(clinician);
    await course.send('/sessions', session(1));
    await course.send(
      '/assessments',
      assessment('GAD-7', [2, 2, 2, 2, 2, 2, 2], { timepoint: 'baseline' }),
    );
    expect(await course.view()).toMatchObject({ sessionsHeld: 1, revision: course.revision });
    expect((await course.view('/outcomes')).instruments['GAD-7'].baseline.score).toBe(14);

    // A rebuild asked of the API is recorded in the shared read-model file and carried out
    // by the projector, its progress visible on the API; the view answers throughout.
    const admin = clinician.as(tokenFor('clinic-split', ['admin']));
    const rebuild = await admin.post('/v1/admin/projections/course-completion/rebuild', {});
    expect(rebuild.status).toBe(202);
    expect(rebuild.body.rebuild).toMatchObject({ state: 'requested', eventsDone: 0 });
    await waitFor(async () => {
      expect((await clinician.get(course.path())).status).toBe(200);
      const all = (await admin.get('/v1/admin/projections')).body.projections as {
        name: string;
        rebuild: { state: string; eventsDone: number } | null;
      }[];
      const asked = all.find((p) => p.name === 'course-completion')!.rebuild!;
      return asked.state === 'done' && asked.eventsDone === course.revision + 1;
    }, 20_000);
    expect(await course.view()).toMatchObject({ sessionsHeld: 1, revision: course.revision });
    expect((await clinician.as(undefined).get('/health/ready')).status).toBe(200);
  }, 30000);

  it('npm run projections -- rebuild asks for a rebuild and follows it until switched over', () => {
    const cli = projectionsCli({ DATA_DIR: dataDir });
    expectRebuildThroughCli(cli);

    const listed = cli('list');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(
      /^course-completion: checkpoint \d+, \d+ events; rebuild \d+ done/m,
    );
    expect(listed.stdout).toMatch(/^clinic-summary: checkpoint \d+, \d+ events; never rebuilt$/m);

    const unknown = cli('rebuild', 'no-such');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no projection named "no-such"');
  }, 60_000);
});
