import { SignJWT } from 'jose';

/** A benchmark user: its id and an HS256 access token for it. */
export interface BenchUser {
  readonly userId: string;
  readonly token: string;
}

/** The id of benchmark user `index` (1-based), e.g. bench-u00042. */
export function benchUserId(index: number, prefix = 'bench-u'): string {
  return `${prefix}${String(index).padStart(5, '0')}`;
}

/** Signs tokens (sub = user id, exp in `ttlSeconds`) for users 1..count. */
export async function signUsers(secret: string, count: number, options: { prefix?: string; ttlSeconds?: number } = {}): Promise<BenchUser[]> {
  const key = new TextEncoder().encode(secret);
  const expiresAt = Math.floor(Date.now() / 1000) + (options.ttlSeconds ?? 3600);
  const users: BenchUser[] = [];
  for (let index = 1; index <= count; index += 1) {
    const userId = benchUserId(index, options.prefix);
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(userId).setIssuedAt().setExpirationTime(expiresAt).sign(key);
    users.push({ userId, token });
  }
  return users;
}
