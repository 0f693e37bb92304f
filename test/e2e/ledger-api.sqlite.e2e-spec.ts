import { describeLedgerApi } from './ledger-api';

describeLedgerApi('the embedded SQLite store', { env: () => ({}) });
