/**
 * What audit reviewers read: history and time travel straight from the event
 * log, and the proofs of the ledger log (verification, bundle, checkpoints).
 */
import { Module } from '@nestjs/common';
import { AuditLedgerController } from './audit-ledger.controller';
import { AuditLedgerService } from './audit-ledger.service';
import { CourseAuditController } from './course-audit.controller';

@Module({
  controllers: [CourseAuditController, AuditLedgerController],
  providers: [AuditLedgerService],
  exports: [AuditLedgerService],
})
export class AuditModule {}
