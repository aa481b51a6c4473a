/** What this package will hold (the Redis backplane) is built by issue 8; until then it exports only this. */
export const PACKAGE_STATUS = { name: '@agentwire/backplane-redis', issue: 8, ready: false } as const;
