/// <reference lib="dom" />
/**
 * The web console in a real Chromium (Debian's package, driven by
 * playwright-core) against the built app on a temporary data folder, with
 * courses the test generates over HTTP. Values on the page are read from data
 * attributes and accessible text, never from pixels. Each page is also
 * photographed into .tmp/console-screenshots (docs/screenshots, for the README,
 * with UPDATE_SCREENSHOTS=1).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromium } from '../support/chromium';
import { LedgerClient, startLedgerApp, tokenFor, type LedgerApp } from '../support/ledger-app';
import { CourseDriver, assessment, day, homework, session } from '../e2e/course-scenario';

// A plain run leaves the README's pictures alone; UPDATE_SCREENSHOTS=1 refreshes them.
const SCREENSHOTS = path.resolve(
  __dirname,
  process.env.UPDATE_SCREENSHOTS === '1'
    ? '../../docs/screenshots'
    : '../../.tmp/console-screenshots',
);
const CONSOLE_BUILD = path.resolve(__dirname, '../../dist/console/index.html');

const sum = (items: (number | null)[]) => items.reduce<number>((a, b) => a + (b ?? 0), 0);
// PHQ-9 forms: baseline with item 9 = 1 (raises a risk flag), a session form corrected later,
// a form with an unanswered item (no total: no point on the chart), and a later session form.
const PHQ_BASELINE = [3, 2, 2, 2, 2, 2, 2, 2, 1];
const PHQ_WEEK2 = [2, 2, 2, 2, 2, 1, 1, 2, 0];
const PHQ_WEEK2_CORRECTED = [2, 2, 1, 2, 1, 1, 1, 2, 0];
const PHQ_WEEK3_INCOMPLETE = [1, 1, null, 1, 1, 1, 1, 1, 0];
const PHQ_WEEK5 = [1, 1, 1, 1, 1, 1, 1, 1, 0];
const GAD_BASELINE = [2, 2, 2, 2, 2, 1, 1];
const GAD_WEEK5 = [1, 1, 1, 1, 1, 1, 1];

describe('web console in Chromium', () => {
  const suiteStarted = Date.now();
  let app: LedgerApp;
  let context: BrowserContext;
  let page: Page;
  let profileDir: string;
  const clinicianToken = tokenFor('clinic-a', ['clinician'], 'dr-jones');
  const auditorToken = tokenFor('clinic-a', ['auditor'], 'auditor-ng');
  let clinician: LedgerClient;
  let auditor: LedgerClient;
  let course: CourseDriver;
  let patientRef: string;
  let withdrawnId: string;
  const clinicA: string[] = [];
  const fillers: string[] = [];
  let foreignId: string;
  let revisionAfterSession3 = -1;
  const urlsSeen: string[] = [];
  const titlesSeen: string[] = [];

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  /** Waits until the course list shows exactly `count` rows (it re-renders after each request). */
  async function listShows(count: number): Promise<void> {
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid=course-list] tbody tr').length === n,
      count,
    );
  }

  async function remember(): Promise<void> {
    urlsSeen.push(page.url());
    titlesSeen.push(await page.title());
  }

  async function signIn(token: string): Promise<void> {
    await page.getByLabel('Bearer token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  beforeAll(async () => {
    const executablePath = ensureChromium();
    if (!fs.existsSync(CONSOLE_BUILD)) {
      throw new Error(`no console build at ${CONSOLE_BUILD}: run npm run build (npm test does)`);
    }
    app = await startLedgerApp();
    clinician = new LedgerClient(app.baseUrl, clinicianToken);
    auditor = new LedgerClient(app.baseUrl, auditorToken);

    patientRef = 'MRN-CONSOLE-0001';
    course = await CourseDriver.enroll(clinician, { patientRef, plannedSessions: 12 });
    clinicA.push(course.courseId);
    await course.send(
      '/assessments',
      assessment('PHQ-9', PHQ_BASELINE, { timepoint: 'baseline', administeredAt: day(0, 9) }),
    );
    await course.send(
      '/assessments',
      assessment('GAD-7', GAD_BASELINE, { timepoint: 'baseline', administeredAt: day(0, 9) }),
    );
    await course.send('/problem-area', { area: 'role_dispute' });
    await course.holdSessions(1, 3);
    revisionAfterSession3 = course.revision;
    await course.send(
      '/homework',
      homework('hw-1', { sessionNumber: 1, description: 'Keep a mood diary' }),
    );
    await course.send('/homework/hw-1/submission', { submittedAt: day(8) });
    await course.send(
      '/homework',
      homework('hw-2', { sessionNumber: 3, dueAt: day(21), description: 'Talk to your sister' }),
    );
    const week2 = assessment('PHQ-9', PHQ_WEEK2, { administeredAt: day(14, 11) });
    await course.send('/assessments', week2);
    await course.send('/missed-sessions', { scheduledAt: day(21), kind: 'did_not_attend' });
    await course.send(
      '/assessments',
      assessment('PHQ-9', PHQ_WEEK3_INCOMPLETE, { administeredAt: day(22) }),
    );
    await course.send(`/assessments/${week2.assessmentId}/correction`, {
      items: PHQ_WEEK2_CORRECTED,
      reason: 'Items 3 and 5 were transposed on entry',
    });
    await course.holdSessions(4, 6);
    await course.send(
      '/assessments',
      assessment('PHQ-9', PHQ_WEEK5, { administeredAt: day(35, 11) }),
    );
    await course.send(
      '/assessments',
      assessment('GAD-7', GAD_WEEK5, { administeredAt: day(35, 11) }),
    );
    const { riskFlags } = await course.view('/outcomes');
    await course.send(`/risk-flags/${riskFlags[0].flagId}/resolution`, {
      disposition: 'safety_plan',
      note: 'Safety plan agreed with the patient',
    });
    await course.view();

    const withdrawn = await CourseDriver.enroll(clinician, {
      therapistId: 'therapist-2',
      patientRef: 'MRN-CONSOLE-0100',
    });
    await withdrawn.send('/sessions', session(1));
    await withdrawn.send('/withdrawal', { withdrawnAt: day(10), reason: 'patient_choice' });
    await withdrawn.view();
    withdrawnId = withdrawn.courseId;
    clinicA.push(withdrawnId);
    const completed = await CourseDriver.enroll(clinician, {
      therapistId: 'therapist-2',
      patientRef: 'MRN-CONSOLE-0101',
    });
    await completed.holdSessions(1, 12);
    await completed.send('/completion', { completedAt: day(80) });
    await completed.view();
    clinicA.push(completed.courseId);
    // Enough courses for two pages of ten.
    for (let i = 0; i < 9; i++) {
      const filler = await CourseDriver.enroll(clinician, {
        enrolledAt: day(i + 1),
        patientRef: `MRN-CONSOLE-${String(i + 2).padStart(4, '0')}`,
      });
      if (i === 8) {
        // The newest course has an open risk flag (PHQ-9 item 9 scored 2).
        await filler.send(
          '/assessments',
          assessment('PHQ-9', [2, 2, 2, 1, 1, 1, 1, 1, 2], { administeredAt: day(i + 1) }),
        );
      }
      await filler.view();
      clinicA.push(filler.courseId);
      fillers.push(filler.courseId);
    }
    const foreign = await CourseDriver.enroll(
      new LedgerClient(app.baseUrl, tokenFor('clinic-b', ['clinician'])),
    );
    await foreign.view();
    foreignId = foreign.courseId;

    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-console-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath,
      args: CHROMIUM_ARGS,
      viewport: { width: 1366, height: 900 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15000);
  }, 600000);

  afterAll(async () => {
    await context?.close();
    await app?.stop();
    if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
    process.stdout.write(
      `console browser suite took ${((Date.now() - suiteStarted) / 1000).toFixed(1)} s\n`,
    );
  });

  it('signs in with a pasted token kept in session storage, and lists only the clinic’s courses', async () => {
    await page.goto(`${app.baseUrl}/console`);
    await page.getByLabel('Bearer token').waitFor();
    expect(page.url()).toBe(`${app.baseUrl}/console/`);
    await shot('sign-in');
    await signIn(clinicianToken);
    expect(await page.evaluate(() => sessionStorage.getItem('ipt-console-token'))).toBe(
      clinicianToken,
    );
    await page.getByLabel('Per page').selectOption('10');
    await page.getByRole('button', { name: 'Apply' }).click();

    const rows = page.locator('[data-testid=course-list] tbody tr');
    await listShows(10);
    await shot('courses');
    const listed = await rows.evaluateAll((trs) =>
      trs.map((tr) => tr.getAttribute('data-course-id')),
    );
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2').waitFor();
    await listShows(2);
    listed.push(
      ...(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-course-id')))),
    );
    expect([...listed].sort()).toEqual([...clinicA].sort());
    expect(listed).not.toContain(foreignId);
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);

    await page.getByLabel('Status').selectOption('withdrawn');
    await page.getByRole('button', { name: 'Apply' }).click();
    await listShows(1);
    expect(await rows.first().getAttribute('data-course-id')).toBe(withdrawnId);
    await remember();
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Therapist').fill('therapist-1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await listShows(10);
    const ofTherapist1 = await rows.evaluateAll((trs) =>
      trs.map((tr) => tr.getAttribute('data-course-id')),
    );
    expect([...ofTherapist1].sort()).toEqual([course.courseId, ...fillers].sort());
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await remember();
  }, 60000);

  it('shows a course: every event in order, one chart point per scored form, corrections beside', async () => {
    // The list still shows therapist-1's courses, this one among them.
    await page.getByRole('link', { name: patientRef }).click();
    await page.locator('[data-testid=timeline] > li').first().waitFor();
    await remember();
    expect(page.url()).toBe(`${app.baseUrl}/console/#/courses/${course.courseId}`);

    const history = (await clinician.get(`/v1/courses/${course.courseId}/history`)).body;
    const shown = await page
      .locator('[data-testid=timeline] > li')
      .evaluateAll((lis) =>
        lis.map((li) => [Number(li.getAttribute('data-revision')), li.getAttribute('data-type')]),
      );
    expect(shown).toEqual(history.events.map((e: any) => [e.revision, e.type]));
    expect(shown.map(([revision]) => revision)).toEqual(
      history.events.map((_: unknown, i: number) => i),
    );

    const scores = (instrument: string) =>
      page
        .locator(`[data-instrument="${instrument}"] tr[data-point]`)
        .evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-score'))));
    expect(await scores('PHQ-9')).toEqual([
      sum(PHQ_BASELINE),
      sum(PHQ_WEEK2_CORRECTED),
      sum(PHQ_WEEK5),
    ]);
    expect(await scores('GAD-7')).toEqual([sum(GAD_BASELINE), sum(GAD_WEEK5)]);
    expect(await page.locator('figure.chart canvas').count()).toBeGreaterThanOrEqual(2);

    const recorded = history.events.find(
      (e: any) => e.type === 'AssessmentRecorded' && sum(e.data.items) === sum(PHQ_WEEK2),
    );
    const correction = history.events.find((e: any) => e.type === 'AssessmentCorrected');
    expect(
      await page
        .locator(`li[data-revision="${correction.revision}"] [data-corrects-revision]`)
        .getAttribute('data-corrects-revision'),
    ).toBe(String(recorded.revision));
    expect(
      await page
        .locator(`li[data-revision="${recorded.revision}"] [data-corrected-by]`)
        .getAttribute('data-corrected-by'),
    ).toBe(String(correction.revision));

    // A clinician without the auditor role sees no audit panels.
    expect(await page.locator('[data-testid=verification]').count()).toBe(0);
    expect(await page.locator('[data-testid=access-log]').count()).toBe(0);
    await shot('course');
  }, 60000);

  it('replays the course at a chosen revision with the state route’s values', async () => {
    const stateAt = async (revision: number) =>
      (await clinician.get(`/v1/courses/${course.courseId}/state?revision=${revision}`)).body
        .course;
    const shownAt = async (revision: number) => {
      await page.locator(`[data-testid=replay-state][data-revision="${revision}"]`).waitFor();
      return page
        .locator('[data-testid=replay-state] [data-field]')
        .evaluateAll((divs) =>
          Object.fromEntries(
            divs.map((d) => [
              d.getAttribute('data-field'),
              JSON.parse(d.getAttribute('data-value')!),
            ]),
          ),
        );
    };
    const fields = (state: any, names: string[]) =>
      Object.fromEntries(names.map((n) => [n, state[n]]));

    await page.getByLabel('Revision number').fill(String(revisionAfterSession3));
    await page.getByLabel('Revision number').press('Enter');
    const shown = await shownAt(revisionAfterSession3);
    const expected = await stateAt(revisionAfterSession3);
    expect(shown).toEqual(fields(expected, Object.keys(shown)));
    expect(shown.sessionsHeld).toBe(3);

    // Keyboard: one step back on the slider.
    await page.getByRole('slider', { name: 'Revision' }).focus();
    await page.keyboard.press('ArrowLeft');
    const oneBack = await shownAt(revisionAfterSession3 - 1);
    expect(oneBack).toEqual(fields(await stateAt(revisionAfterSession3 - 1), Object.keys(oneBack)));
    expect(oneBack.sessionsHeld).toBe(2);
  }, 60000);

  it('shows an auditor the verification and the access log of the course', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(auditorToken);
    await page.goto(`${app.baseUrl}/console/#/courses/${course.courseId}`);
    await page.locator('[data-testid=timeline] > li').first().waitFor();
    await remember();

    const verification = await auditor.get(`/v1/courses/${course.courseId}/verification`);
    const panel = page.locator('[data-testid=verification]');
    if (verification.status === 200) {
      await panel.locator(`[data-valid="${verification.body.valid}"]`).waitFor();
    } else {
      expect(verification.status).toBe(404);
      await panel.getByText('not available on this server').waitFor();
    }
    const accessLog = await auditor.get(`/v1/audit-log?courseId=${course.courseId}`);
    const logPanel = page.locator('[data-testid=access-log]');
    if (accessLog.status === 200) {
      await logPanel.locator('tr[data-record-id]').first().waitFor();
    } else {
      expect(accessLog.status).toBe(404);
      await logPanel.getByText('not available on this server').waitFor();
    }
    await shot('course-auditor');
  }, 60000);

  it('charts the clinic summary with the API’s rates', async () => {
    await page.getByRole('link', { name: 'Clinic summary' }).click();
    await page.locator('[data-testid=summary-counts]').waitFor();
    await remember();
    const summary = (await auditor.get('/v1/clinics/clinic-a/summary')).body;
    const counts = await page
      .locator('[data-testid=summary-counts] [data-field]')
      .evaluateAll((divs) =>
        divs.map((d) => [d.getAttribute('data-field'), Number(d.getAttribute('data-value'))]),
      );
    expect(Object.fromEntries(counts.filter(([k]) => k !== 'atRisk'))).toEqual(summary.courses);
    const rate = (selector: string) =>
      page.locator(selector).evaluate((tr) => {
        const v = tr.getAttribute('data-value');
        return v === '' ? null : Number(v);
      });
    expect(await rate('[data-testid=rates-closure] [data-rate=dropoutRate]')).toBe(
      summary.dropoutRate,
    );
    expect(await rate('[data-testid=rates-closure] [data-rate=protocolCompletionRate]')).toBe(
      summary.protocolCompletionRate,
    );
    expect(Object.keys(summary.instruments).sort()).toEqual(['GAD-7', 'PHQ-9']);
    for (const [instrument, rates] of Object.entries<any>(summary.instruments)) {
      for (const key of ['responseRate', 'remissionRate', 'reliableImprovementRate']) {
        expect(await rate(`[data-testid="rates-${instrument}"] [data-rate=${key}]`)).toBe(
          rates[key],
        );
      }
    }
    await shot('summary');
  }, 60000);

  it('renders a course of 500 events', async () => {
    const long = await CourseDriver.enroll(clinician);
    await long.send('/sessions', session(1));
    for (let n = 2; n < 500; n++) {
      await long.send('/homework', homework(`hw-${n}`, { description: `Exercise ${n}` }));
    }
    await long.view();
    await page.evaluate(() => performance.clearResourceTimings());
    const started = await page.evaluate(() => performance.now());
    await page.goto(`${app.baseUrl}/console/#/courses/${long.courseId}`);
    await page.locator('[data-testid=timeline] > li[data-revision="499"]').waitFor();
    // From the hash change: when the last API answer arrived, and when the 500th event was on the page.
    const { answered, rendered } = await page.evaluate(() => ({
      answered: Math.max(
        ...performance
          .getEntriesByType('resource')
          .map((e) => (e as PerformanceResourceTiming).responseEnd),
      ),
      rendered: performance.now(),
    }));
    await remember();
    const revisions = await page
      .locator('[data-testid=timeline] > li')
      .evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-revision'))));
    expect(revisions).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(await page.locator('[data-testid=homework] li').count()).toBe(498);
    process.stdout.write(
      `a course of 500 events: on the page after ${Math.round(rendered - started)} ms, ` +
        `the last API answer after ${Math.round(answered - started)} ms\n`,
    );
  }, 120000);

  it('puts no patient data or token in the URL or the page title', () => {
    expect(urlsSeen.length).toBeGreaterThanOrEqual(4);
    for (const seen of [...urlsSeen, ...titlesSeen]) {
      expect(seen).not.toContain(patientRef);
      expect(seen).not.toContain(clinicianToken);
      expect(seen).not.toContain(auditorToken);
    }
    expect(titlesSeen).toContain('Course · IPT Course Ledger');
  });
});
