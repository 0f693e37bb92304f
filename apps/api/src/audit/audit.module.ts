/**
 * What audit reviewers read: history and time travel straight from the event
 * log, the proofs of the ledger log (verification, bundle, checkpoints), and
 * the access log (who read or wrote which course), whose `access` tree head
 * the checkpoint signer takes through ACCESS_TREE_HEAD.
 */
import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ipt/config';
import { ACCESS_TREE_HEAD } from '@ipt/projections';
import { AccessLogController } from './access-log/access-log.controller';
import { AccessLogStore } from './access-log/access-log.store';
import { AuditLedgerController } from './audit-ledger.controller';
import { AuditLedgerService } from './audit-ledger.service';
import { CourseAuditController } from './course-audit.controller';

/** Closes the access log after the last answer's record is committed. */
class AccessLogCloser implements OnApplicationShutdown {
  constructor(@Inject(AccessLogStore) private readonly log: AccessLogStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.log.close();
  }
}

@Module({
  controllers: [CourseAuditController, AuditLedgerController, AccessLogController],
  providers: [
    {
      provide: AccessLogStore,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => AccessLogStore.inDataDir(config.dataDir),
    },
    { provide: ACCESS_TREE_HEAD, useExisting: AccessLogStore },
    AccessLogCloser,
    AuditLedgerService,
  ],
  exports: [AuditLedgerService, AccessLogStore, ACCESS_TREE_HEAD],
})
export class AuditModule {}
