/**
 * Where an evaluator serves OFREP event streams: this prefix and an opaque token that grants the stream. The
 * token is a credential for that stream alone, so loggers mask everything after the prefix.
 */
export const OFREP_STREAM_PATH = '/ofrep/v1/streams/';
