/** The SSOT lint rules, checker and codemod are built by issue 7; until then this package holds the workspace tests. */
export const PACKAGE_STATUS = { name: '@agentwire/ssot', issue: 7, ready: false } as const;
