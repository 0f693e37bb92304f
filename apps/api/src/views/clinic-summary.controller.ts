import { Controller, Get, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { addContribution, emptyClinicTally, summaryFromTally } from '@ipt/projections';
import type { Caller } from '@ipt/auth';
import { CurrentCaller } from '../http/auth.guard';
import { DATABASE_REFUSALS, RouteContract } from '../http/openapi/contract';
import { Forbidden } from '../application/errors';
import { ViewReader } from './view-reader.service';

@ApiTags('views')
@Controller('v1/clinics')
export class ClinicSummaryController {
  constructor(private readonly views: ViewReader) {}

  /** Completion, dropout and outcome rates of the caller's clinic; no PHI. */
  @Get(':clinicId/summary')
  @RouteContract({
    operationId: 'getClinicSummary',
    summary: 'Completion, dropout and outcome rates of the caller’s clinic; no PHI',
    description: 'Another clinic’s summary: 403.',
    roles: ['analyst', 'clinician', 'auditor'],
    success: { description: 'The clinic summary', schema: 'ClinicSummary' },
    refusals: [...DATABASE_REFUSALS],
  })
  async summary(@Param('clinicId') clinicId: string, @CurrentCaller() caller: Caller) {
    if (clinicId !== caller.clinicId) {
      throw new Forbidden("only your own clinic's summary is visible to you");
    }
    const [contributions, atRisk] = await Promise.all([
      this.views.queries.clinicContributions(clinicId),
      // atRisk depends on the time of the request: counted now, by an indexed query.
      this.views.queries.countAtRisk(clinicId, Date.now()),
    ]);
    const tally = contributions.reduce(addContribution, emptyClinicTally());
    return summaryFromTally(clinicId, tally, atRisk);
  }
}
