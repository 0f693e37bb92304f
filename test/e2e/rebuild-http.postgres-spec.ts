/**
 * The rebuild under concurrent commands over HTTP (rebuild-under-load.ts)
 * with the read models in PostgreSQL: the API holds the projector's advisory
 * lock and carries out the rebuild asked on its admin route; each app gets a
 * fresh database on the embedded test server.
 */
import { createTestDatabase } from '../../libs/database/src/testing/test-database';
import { rebuildUnderLoadSuite } from './rebuild-under-load';

rebuildUnderLoadSuite('PostgreSQL', async () => {
  const database = await createTestDatabase('ipt_rebuild_http');
  return { env: { DATABASE_URL: database.url }, drop: () => database.drop() };
});
