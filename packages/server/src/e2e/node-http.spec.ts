import { describeServerContract, mountInNodeHttp } from './server-contract.test-helpers';

/** Plain node:http: the server attached to the app's http.Server (mountInNodeHttp). */
describeServerContract('node:http', mountInNodeHttp);
