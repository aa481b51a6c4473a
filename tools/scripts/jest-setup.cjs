// Integration tests start real servers and processes; 20 s is their default budget.
// (Set here, not as `testTimeout` in the preset: @nx/jest passes the preset as a project
// config, where jest 29 ignores testTimeout.)
jest.setTimeout(20000);
