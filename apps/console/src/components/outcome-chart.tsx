/**
 * One instrument's scores over time (uPlot on a canvas), with the severity
 * bands shaded, the baseline, endpoint and follow-up marked, and the lines a
 * score must cross for response, remission and reliable change. The canvas is
 * decoration for sighted users: the same points are in the table below it,
 * with their values in data attributes.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { INSTRUMENT_DEFINITIONS, type InstrumentDefinition } from '@ipt/instruments';
import type { InstrumentOutcome } from '../api';
import { formatDate, label, yesNo } from '../format';
import type { ScoredForm } from '../history';

const BAND_COLOURS: Record<string, string> = {
  none: 'rgba(46, 139, 87, 0.16)',
  minimal: 'rgba(46, 139, 87, 0.16)',
  mild: 'rgba(218, 165, 32, 0.16)',
  moderate: 'rgba(255, 140, 0, 0.18)',
  moderately_severe: 'rgba(220, 80, 40, 0.18)',
  severe: 'rgba(178, 34, 34, 0.2)',
};

interface Threshold {
  score: number;
  text: string;
}

/** The scores a form must reach (at or below) to count: response, remission, reliable improvement. */
export function thresholds(def: InstrumentDefinition, baseline: number | undefined): Threshold[] {
  const lines: Threshold[] = [
    { score: def.remissionMaxTotal, text: `remission ≤ ${def.remissionMaxTotal}` },
  ];
  if (baseline !== undefined && baseline > 0) {
    lines.push({ score: baseline / 2, text: `response ≤ ${baseline / 2}` });
    if (baseline - def.reliableChange >= 0) {
      lines.push({
        score: baseline - def.reliableChange,
        text: `reliable change ≤ ${baseline - def.reliableChange}`,
      });
    }
  }
  return lines;
}

export function OutcomeChart(props: {
  instrument: string;
  forms: ScoredForm[];
  outcome?: InstrumentOutcome;
}) {
  const { instrument, forms, outcome } = props;
  const def = (INSTRUMENT_DEFINITIONS as Record<string, InstrumentDefinition | undefined>)[
    instrument
  ];
  const host = useRef<HTMLDivElement>(null);
  const id = `chart-${instrument.replace(/[^A-Za-z0-9]/g, '')}`;

  useEffect(() => {
    if (!host.current || !def || forms.length === 0) return;
    const top = def.bands[def.bands.length - 1].max;
    const xs = forms.map((f) => Date.parse(f.administeredAt) / 1000);
    const ys = forms.map((f) => f.score);
    const marks = new Map<string, string>();
    if (outcome) {
      marks.set(outcome.baseline.assessmentId, 'baseline');
      if (outcome.endpoint) marks.set(outcome.endpoint.assessmentId, 'endpoint');
      if (outcome.followUp) marks.set(outcome.followUp.assessmentId, 'follow-up');
    }
    const lines = thresholds(def, outcome?.baseline.score);

    const drawBands = (u: uPlot) => {
      const ctx = u.ctx;
      const { left, width } = u.bbox;
      ctx.save();
      for (const band of def.bands) {
        const y1 = u.valToPos(Math.min(top, band.max + 0.5), 'y', true);
        const y0 = u.valToPos(Math.max(0, band.min - 0.5), 'y', true);
        ctx.fillStyle = BAND_COLOURS[band.severity] ?? 'rgba(0,0,0,0.05)';
        ctx.fillRect(left, y1, width, y0 - y1);
        ctx.fillStyle = '#333';
        ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
        ctx.textAlign = 'right';
        ctx.fillText(
          label(band.severity),
          left + width - 4 * devicePixelRatio,
          y1 + 13 * devicePixelRatio,
        );
      }
      ctx.restore();
    };
    const drawMarks = (u: uPlot) => {
      const ctx = u.ctx;
      const { left, width } = u.bbox;
      const px = devicePixelRatio;
      ctx.save();
      ctx.font = `${11 * px}px system-ui, sans-serif`;
      ctx.setLineDash([6 * px, 4 * px]);
      ctx.lineWidth = px;
      ctx.strokeStyle = '#444';
      ctx.fillStyle = '#222';
      ctx.textAlign = 'left';
      for (const line of lines) {
        const y = u.valToPos(line.score, 'y', true);
        ctx.beginPath();
        ctx.moveTo(left, y);
        ctx.lineTo(left + width, y);
        ctx.stroke();
        ctx.fillText(line.text, left + 4 * px, y - 3 * px);
      }
      ctx.setLineDash([]);
      forms.forEach((form, i) => {
        const mark = marks.get(form.assessmentId);
        if (!mark) return;
        const x = u.valToPos(xs[i], 'x', true);
        const y = u.valToPos(ys[i], 'y', true);
        ctx.beginPath();
        ctx.strokeStyle = '#000';
        ctx.lineWidth = 2 * px;
        ctx.arc(x, y, 8 * px, 0, 2 * Math.PI);
        ctx.stroke();
        ctx.textAlign = 'center';
        ctx.fillText(mark, x, y + 22 * px);
      });
      ctx.restore();
    };

    const span = xs[xs.length - 1] - xs[0];
    const pad = Math.max(span * 0.05, 3 * 86400);
    const plot = new uPlot(
      {
        width: host.current.clientWidth || 600,
        height: 320,
        legend: { show: false },
        scales: {
          x: { time: true, range: [xs[0] - pad, xs[xs.length - 1] + pad] },
          y: { range: [0, top] },
        },
        // Whole-number ticks: totals are integers.
        axes: [{}, { label: `${instrument} total`, incrs: [1, 2, 5, 10, 20] }],
        series: [
          {},
          {
            label: instrument,
            stroke: '#1f4e99',
            width: 2,
            points: { show: true, size: 8, fill: '#1f4e99', stroke: '#1f4e99' },
          },
        ],
        hooks: { drawClear: [drawBands], draw: [drawMarks] },
      },
      [xs, ys],
      host.current,
    );
    const resize = new ResizeObserver(() => {
      if (host.current) plot.setSize({ width: host.current.clientWidth, height: 320 });
    });
    resize.observe(host.current);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [instrument, forms, outcome, def]);

  return (
    <figure
      class="chart"
      data-testid={id}
      data-instrument={instrument}
      aria-labelledby={`${id}-caption`}
    >
      <figcaption id={`${id}-caption`}>
        <h3>{instrument}</h3>
        {outcome && <OutcomeFigures outcome={outcome} />}
      </figcaption>
      <div ref={host} class="plot" aria-hidden="true" />
      {def && (
        <p class="chart-key">
          Shaded: severity bands. Circled: baseline, endpoint and follow-up. Dashed: the endpoint
          score needed for remission (≤ {def.remissionMaxTotal}), response (half the baseline) and
          reliable change ({def.reliableChange} points below the baseline).
        </p>
      )}
      <table class="points compact">
        <caption>
          {instrument}: {forms.length} scored form{forms.length === 1 ? '' : 's'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Administered</th>
            <th scope="col">Timepoint</th>
            <th scope="col">Score</th>
            <th scope="col">Severity</th>
            <th scope="col">Mark</th>
          </tr>
        </thead>
        <tbody>
          {forms.map((f) => (
            <tr
              data-point
              data-assessment-id={f.assessmentId}
              data-score={f.score}
              data-administered-at={f.administeredAt}
            >
              <td>{formatDate(f.administeredAt)}</td>
              <td>{label(f.timepoint)}</td>
              <td>
                {f.score}
                {f.corrected && <span class="muted"> (corrected)</span>}
              </td>
              <td>{label(f.severity)}</td>
              <td>
                {outcome?.baseline.assessmentId === f.assessmentId
                  ? 'baseline'
                  : outcome?.endpoint?.assessmentId === f.assessmentId
                    ? 'endpoint'
                    : outcome?.followUp?.assessmentId === f.assessmentId
                      ? 'follow-up'
                      : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

function OutcomeFigures(props: { outcome: InstrumentOutcome }) {
  const o = props.outcome;
  const flag = (name: string, value: boolean | null, good = true) => (
    <li
      class={value === null ? 'flag-na' : value === good ? 'flag-good' : 'flag-bad'}
      data-outcome={name}
      data-value={String(value)}
    >
      {label(name)}: <strong>{yesNo(value)}</strong>
    </li>
  );
  return (
    <ul class="outcome-flags">
      <li>
        Change: <strong>{o.change === null ? '—' : o.change}</strong>
        {o.percentChange !== null && ` (${Math.round(o.percentChange)}%)`}
      </li>
      {flag('response', o.response)}
      {flag('remission', o.remission)}
      {flag('reliableImprovement', o.reliableImprovement)}
      {flag('reliableDeterioration', o.reliableDeterioration, false)}
      {flag('recovery', o.recovery)}
    </ul>
  );
}
