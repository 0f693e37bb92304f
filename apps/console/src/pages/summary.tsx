/**
 * The clinic summary (domain.md): course counts, protocol completion and
 * dropout rates, per-instrument response, remission and reliable improvement
 * rates, as bars. Each bar carries its value as text and in data attributes.
 */
import { answerOf, api } from '../api';
import { Show, useLoad } from '../components/load';
import { percent } from '../format';
import type { Session } from '../session';

export function SummaryPage(props: { session: Session }) {
  const clinicId = props.session.clinicId;
  const summary = useLoad(
    () =>
      answerOf(
        api(props.session).GET('/v1/clinics/{clinicId}/summary', {
          params: { path: { clinicId } },
        }),
      ),
    [clinicId, props.session.token],
  );
  return (
    <section aria-labelledby="summary-title">
      <h1 id="summary-title">Clinic summary: {clinicId}</h1>
      <Show loaded={summary} what="The clinic summary">
        {(s) => (
          <>
            <dl class="facts" data-testid="summary-counts">
              {(['total', 'active', 'completed', 'withdrawn'] as const).map((k) => (
                <div data-field={k} data-value={s.courses[k]}>
                  <dt>{k === 'total' ? 'Courses' : k[0].toUpperCase() + k.slice(1)}</dt>
                  <dd>{s.courses[k]}</dd>
                </div>
              ))}
              {s.atRisk !== undefined && (
                <div data-field="atRisk" data-value={s.atRisk}>
                  <dt>Active at risk of dropout</dt>
                  <dd>{s.atRisk}</dd>
                </div>
              )}
            </dl>
            <h2>Completion and dropout (of closed courses)</h2>
            <RateBars
              id="closure"
              rates={[
                ['protocolCompletionRate', 'Protocol completion', s.protocolCompletionRate],
                ['dropoutRate', 'Dropout', s.dropoutRate],
              ]}
            />
            <h2>Outcomes per instrument</h2>
            {Object.keys(s.instruments).length === 0 && (
              <p>No scored assessment in this clinic yet.</p>
            )}
            {Object.entries(s.instruments).map(([instrument, r]) => (
              <div class="instrument-rates" data-instrument={instrument}>
                <h3>{instrument}</h3>
                <RateBars
                  id={instrument}
                  rates={[
                    ['responseRate', 'Response', r.responseRate],
                    ['remissionRate', 'Remission', r.remissionRate],
                    ['reliableImprovementRate', 'Reliable improvement', r.reliableImprovementRate],
                  ]}
                />
              </div>
            ))}
          </>
        )}
      </Show>
    </section>
  );
}

function RateBars(props: { id: string; rates: [string, string, number | null][] }) {
  return (
    <table class="bars" data-testid={`rates-${props.id}`}>
      <tbody>
        {props.rates.map(([key, name, rate]) => (
          <tr data-rate={key} data-value={rate === null ? '' : rate}>
            <th scope="row">{name}</th>
            <td class="bar-cell">
              <svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" class="bar">
                <rect x="0" y="0" width="100" height="10" class="bar-track" />
                {rate !== null && (
                  <rect x="0" y="0" width={rate * 100} height="10" class={`bar-fill bar-${key}`} />
                )}
              </svg>
            </td>
            <td class="bar-value">{rate === null ? 'no closed data' : percent(rate)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
