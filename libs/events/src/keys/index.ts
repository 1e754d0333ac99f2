// Cache keys: pure string functions with no dependencies, safe for every app to import.
export * from './cache-key.model';
export * from './cache-key.builder';
export * from './cache-key.parser';
export * from './frigga-name.parser';
export * from './agent-kind';
