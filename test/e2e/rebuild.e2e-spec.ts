/** The rebuild under concurrent commands over HTTP, read models in SQLite (rebuild-under-load.ts). */
import { rebuildUnderLoadSuite } from './rebuild-under-load';

rebuildUnderLoadSuite('SQLite', () => Promise.resolve({ env: {}, drop: () => Promise.resolve() }));
