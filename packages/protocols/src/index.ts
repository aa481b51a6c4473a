/** What this package will hold (the manager contract, its validator, the wire schemas) is built by issue 3; until then it exports only this. */
export const PACKAGE_STATUS = { name: '@agentwire/protocols', issue: 3, ready: false } as const;
