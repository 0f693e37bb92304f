/**
 * What audit reviewers read: history and time travel straight from the event
 * log, the proofs of the ledger log (verification, bundle, checkpoints), and
 * the access log (who read or wrote which course), whose `access` tree head
 * the checkpoint signer takes through ACCESS_TREE_HEAD. The access log is in
 * PostgreSQL with DATABASE_URL (one log for every instance), else in the
 * data folder's SQLite file, written by a worker thread (ACCESS_LOG_THREAD, default true).
 */
import { Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { APP_CONFIG, type AppConfig } from '@ipt/config';
import { SHARED_DATABASE } from '@ipt/database';
import { ACCESS_TREE_HEAD } from '@ipt/projections';
import { ACCESS_LOG, type AccessLog } from './access-log/access-log';
import { AccessLogController } from './access-log/access-log.controller';
import { PostgresAccessLog } from './access-log/access-log.postgres';
import { AccessLogStore } from './access-log/access-log.store';
import { ThreadedAccessLog } from './access-log/access-log.thread';
import { AuditLedgerController } from './audit-ledger.controller';
import { AuditLedgerService } from './audit-ledger.service';
import { CourseAuditController } from './course-audit.controller';

/** Closes the access log after the last answer's record is committed. */
class AccessLogCloser implements OnApplicationShutdown {
  constructor(@Inject(ACCESS_LOG) private readonly log: AccessLog) {}

  async onApplicationShutdown(): Promise<void> {
    await this.log.close();
  }
}

@Module({
  controllers: [CourseAuditController, AuditLedgerController, AccessLogController],
  providers: [
    {
      provide: ACCESS_LOG,
      inject: [APP_CONFIG, SHARED_DATABASE],
      useFactory: async (config: AppConfig, shared: Pool | null): Promise<AccessLog> => {
        if (shared) return new PostgresAccessLog(shared);
        return config.accessLogThread
          ? ThreadedAccessLog.inDataDir(config.dataDir, (m) => new Logger('audit').warn(m))
          : AccessLogStore.inDataDir(config.dataDir);
      },
    },
    { provide: ACCESS_TREE_HEAD, useExisting: ACCESS_LOG },
    AccessLogCloser,
    AuditLedgerService,
  ],
  exports: [AuditLedgerService, ACCESS_LOG, ACCESS_TREE_HEAD],
})
export class AuditModule {}
