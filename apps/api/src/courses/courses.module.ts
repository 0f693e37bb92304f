/**
 * The write side: every course command use case (one folder each: controller,
 * @nestjs/cqrs command and handler, DTO) and the path they share.
 */
import { Module } from '@nestjs/common';
import { CourseCommandsService } from './course-commands.service';
import type { Pool } from 'pg';
import type { SqliteDatabase } from '@ipt/event-store';
import { SHARED_DATABASE } from '@ipt/database';
import { LOCAL_DATABASE } from '../infrastructure/local-database';
import { IdempotencyRecords } from './idempotency-records';
import { PostgresIdempotencyRecords } from './idempotency-records.postgres';
import { SqliteIdempotencyRecords } from './idempotency-records.sqlite';
import { EnrollPatientController } from './enroll-patient/enroll-patient.controller';
import { EnrollPatientHandler } from './enroll-patient/enroll-patient.command';
import { SelectProblemAreaController } from './select-problem-area/select-problem-area.controller';
import { SelectProblemAreaHandler } from './select-problem-area/select-problem-area.command';
import { RecordSessionHeldController } from './record-session-held/record-session-held.controller';
import { RecordSessionHeldHandler } from './record-session-held/record-session-held.command';
import { RecordSessionMissedController } from './record-session-missed/record-session-missed.controller';
import { RecordSessionMissedHandler } from './record-session-missed/record-session-missed.command';
import { AssignHomeworkController } from './assign-homework/assign-homework.controller';
import { AssignHomeworkHandler } from './assign-homework/assign-homework.command';
import { SubmitHomeworkController } from './submit-homework/submit-homework.controller';
import { SubmitHomeworkHandler } from './submit-homework/submit-homework.command';
import { RecordAssessmentController } from './record-assessment/record-assessment.controller';
import { RecordAssessmentHandler } from './record-assessment/record-assessment.command';
import { ResolveRiskFlagController } from './resolve-risk-flag/resolve-risk-flag.controller';
import { ResolveRiskFlagHandler } from './resolve-risk-flag/resolve-risk-flag.command';
import { WithdrawPatientController } from './withdraw-patient/withdraw-patient.controller';
import { WithdrawPatientHandler } from './withdraw-patient/withdraw-patient.command';
import { CompleteCourseController } from './complete-course/complete-course.controller';
import { CompleteCourseHandler } from './complete-course/complete-course.command';
import { CorrectAssessmentController } from './correct-assessment/correct-assessment.controller';
import { CorrectAssessmentHandler } from './correct-assessment/correct-assessment.command';
import { EraseCourseController } from './erase-course/erase-course.controller';
import { EraseCourseHandler } from './erase-course/erase-course.command';

const COURSE_COMMAND_CONTROLLERS = [
  EnrollPatientController,
  SelectProblemAreaController,
  RecordSessionHeldController,
  RecordSessionMissedController,
  AssignHomeworkController,
  SubmitHomeworkController,
  RecordAssessmentController,
  ResolveRiskFlagController,
  WithdrawPatientController,
  CompleteCourseController,
  CorrectAssessmentController,
  EraseCourseController,
];

const COURSE_COMMAND_HANDLERS = [
  EnrollPatientHandler,
  SelectProblemAreaHandler,
  RecordSessionHeldHandler,
  RecordSessionMissedHandler,
  AssignHomeworkHandler,
  SubmitHomeworkHandler,
  RecordAssessmentHandler,
  ResolveRiskFlagHandler,
  WithdrawPatientHandler,
  CompleteCourseHandler,
  CorrectAssessmentHandler,
  EraseCourseHandler,
];

@Module({
  controllers: COURSE_COMMAND_CONTROLLERS,
  providers: [
    {
      // DATABASE_URL set: the records every API instance shares; else the local SQLite file.
      provide: IdempotencyRecords,
      inject: [SHARED_DATABASE, LOCAL_DATABASE],
      useFactory: (shared: Pool | null, local: SqliteDatabase) =>
        shared ? new PostgresIdempotencyRecords(shared) : new SqliteIdempotencyRecords(local),
    },
    CourseCommandsService,
    ...COURSE_COMMAND_HANDLERS,
  ],
})
export class CoursesModule {}
