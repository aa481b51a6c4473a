/** The ./testing entry of @agentwire/protocols (test helpers); filled with the package. */
export { PACKAGE_STATUS } from './index';
