import { redisCpuUs } from './tokens';

describe('redisCpuUs', () => {
  it('adds used_cpu_sys and used_cpu_user of INFO cpu, in µs', () => {
    const info = '# CPU\r\nused_cpu_sys:1.500000\r\nused_cpu_user:2.250001\r\nused_cpu_sys_children:9.000000\r\nused_cpu_user_children:9.000000\r\n';
    expect(redisCpuUs(info)).toBeCloseTo(3_750_001, 0);
  });

  it('is NaN when INFO has no CPU section, so no figure is made up', () => {
    expect(redisCpuUs('# Server\r\nredis_version:7.2.0\r\n')).toBeNaN();
  });
});
