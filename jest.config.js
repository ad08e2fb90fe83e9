// Unit tests run on the TypeScript sources of `tsdl` (imported by name, as users do).
// Type-checking is done by `tsc -b` in `npm test`; ts-jest only transpiles, for speed.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tests/tsconfig.json", diagnostics: false }],
  },
  moduleNameMapper: {
    "^tsdl$": "<rootDir>/lib/src/index.ts",
    "^tsdl/(.*)$": "<rootDir>/lib/src/$1",
  },
  testTimeout: 120000,
  maxWorkers: 2,
};
