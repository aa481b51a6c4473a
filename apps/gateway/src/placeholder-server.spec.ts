import { loadConfig } from '@agentwire/config';
import { startPlaceholderServer } from './placeholder-server';

describe('placeholder gateway', () => {
  it('listens on a free port on 127.0.0.1 and answers /health and /', async () => {
    const server = await startPlaceholderServer(loadConfig({ AGENTWIRE_PORT: '0' }));
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(server.port).toBeGreaterThan(0);
      const health = await fetch(new URL('/health', server.url));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', placeholder: true });
      const page = await fetch(server.url);
      expect(await page.text()).toContain('placeholder');
      expect((await fetch(new URL('/nope', server.url))).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
