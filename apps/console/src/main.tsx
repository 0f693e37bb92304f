/**
 * The console shell: sign-in, then hash routes that carry nothing but random
 * course ids (#/courses, #/courses/<uuid>, #/summary). Filters, cursors and
 * the token stay in memory or sessionStorage, never in the URL or history.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { whenUnauthenticated } from './api';
import { CoursePage } from './pages/course';
import { CoursesPage } from './pages/courses';
import { SignIn } from './pages/sign-in';
import { SummaryPage } from './pages/summary';
import { canReadCourses, canReadSummary, clearSession, loadSession, type Session } from './session';
import './styles.css';

type Route = { page: 'courses' } | { page: 'course'; courseId: string } | { page: 'summary' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseRoute(hash: string, session: Session): Route {
  const [, page, id] = hash.replace(/^#/, '').split('/');
  if (page === 'courses' && id && UUID.test(id)) return { page: 'course', courseId: id };
  if (page === 'summary' || !canReadCourses(session)) return { page: 'summary' };
  return { page: 'courses' };
}

const TITLES: Record<Route['page'], string> = {
  courses: 'Courses',
  course: 'Course',
  summary: 'Clinic summary',
};

function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [hash, setHash] = useState(location.hash);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    const onHash = () => setHash(location.hash);
    addEventListener('hashchange', onHash);
    whenUnauthenticated(() => {
      clearSession();
      setSession(null);
      setNotice('The API refused the token (expired or not valid here). Sign in again.');
    });
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const route = session ? parseRoute(hash, session) : null;
  useEffect(() => {
    // The title names the page only: never a patient or a course.
    document.title = `${route ? TITLES[route.page] : 'Sign in'} · IPT Course Ledger`;
    const main = document.getElementById('main');
    main?.focus({ preventScroll: true });
  }, [route?.page, route && 'courseId' in route ? route.courseId : null]);

  if (!session || !route) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          setNotice(null);
          setSession(s);
        }}
      />
    );
  }

  const signOut = () => {
    clearSession();
    setSession(null);
    history.replaceState(null, '', location.pathname);
  };

  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">IPT Course Ledger</span>
        <nav aria-label="Console">
          {canReadCourses(session) && (
            <a href="#/courses" aria-current={route.page !== 'summary' ? 'page' : undefined}>
              Courses
            </a>
          )}
          {canReadSummary(session) && (
            <a href="#/summary" aria-current={route.page === 'summary' ? 'page' : undefined}>
              Clinic summary
            </a>
          )}
        </nav>
        <span class="who" data-testid="who">
          {session.subject} · {session.clinicId} · {session.roles.join(', ')}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'courses' && <CoursesPage session={session} />}
        {route.page === 'course' && <CoursePage session={session} courseId={route.courseId} />}
        {route.page === 'summary' && <SummaryPage session={session} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
