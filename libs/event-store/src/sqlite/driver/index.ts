export type {
  SqliteDatabase,
  SqliteDriverName,
  SqliteRunResult,
  SqliteStatement,
} from './sqlite-driver.port';
export { isUniqueViolation, openSqlite, sqliteDriverName } from './open-sqlite';
