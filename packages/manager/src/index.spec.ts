import { PACKAGE_STATUS } from './index';
import manifest from '../package.json';

describe('@agentwire/manager', () => {
  it('names itself as its manifest does', () => {
    expect(PACKAGE_STATUS.name).toBe(manifest.name);
  });
});
