export * from './parse-input';
export * from './storable-text';
