/** The ./testing entry of @agentwire/manager (test helpers); filled with the package. */
export { PACKAGE_STATUS } from './index';
