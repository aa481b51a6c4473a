/** What this package will hold (MessageRouter) is built by issue 3; until then it exports only this. */
export const PACKAGE_STATUS = { name: '@agentwire/router', issue: 3, ready: false } as const;
