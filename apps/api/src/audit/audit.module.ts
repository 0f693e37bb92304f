/**
 * What audit reviewers read: history and time travel straight from the event
 * log, and the access log (who read or wrote which course), whose `access`
 * tree head the checkpoint signer takes through ACCESS_TREE_HEAD.
 */
import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@ipt/config';
import { CourseAuditController } from './course-audit.controller';
import { AccessLogController } from './access-log/access-log.controller';
import { AccessLogStore } from './access-log/access-log.store';
import { ACCESS_TREE_HEAD } from './access-log/access-tree-head';

/** Closes the access log after the last answer's record is committed. */
class AccessLogCloser implements OnApplicationShutdown {
  constructor(@Inject(AccessLogStore) private readonly log: AccessLogStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.log.close();
  }
}

@Module({
  controllers: [CourseAuditController, AccessLogController],
  providers: [
    {
      provide: AccessLogStore,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => AccessLogStore.inDataDir(config.dataDir),
    },
    { provide: ACCESS_TREE_HEAD, useExisting: AccessLogStore },
    AccessLogCloser,
  ],
  exports: [AccessLogStore, ACCESS_TREE_HEAD],
})
export class AuditModule {}
