export * from './cache-record';
export * from './caching-agent';
export * from './targeted-refresher';
export * from './ports';
