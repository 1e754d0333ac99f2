export {
  cachingAgentGenerator,
  type CachingAgentSchema,
  normalize as normalizeCachingAgentSchema,
  REGISTRATION_MARKER,
} from './generators/caching-agent/generator';
