/** The API's handle on the read-model database (see @ipt/projections). */
export const LOCAL_DATABASE = Symbol('LocalDatabase');
