/** The read side: course views and the clinic summary, served from the read models. */
import { Module } from '@nestjs/common';
import { ClinicSummaryController } from './clinic-summary.controller';
import { CourseViewsController } from './course-views.controller';
import { RevisionWaits } from './revision-waits';
import { ViewReader } from './view-reader.service';

@Module({
  controllers: [CourseViewsController, ClinicSummaryController],
  providers: [ViewReader, RevisionWaits],
  // The metrics read the at-risk counts through it.
  exports: [ViewReader],
})
export class ViewsModule {}
