/** What audit reviewers read straight from the event log: history and time travel. */
import { Module } from '@nestjs/common';
import { CourseAuditController } from './course-audit.controller';

@Module({ controllers: [CourseAuditController] })
export class AuditModule {}
