/** Protocol profiles: a target's WebSocket protocol as data (docs/load.md "Protocol profiles"). */
export { BUILTIN_PROFILES, loadProfile, mergeProfiles, type LoadedProfile, type LoadProfileOptions } from './load-profile.js';
export { profileSchema, WSMIG_PROFILE_NAME, type MessageMatch, type MessageMatcher, type MessageTemplate, type ProtocolProfile, type ReplyRule, type SseProfile } from './schema.js';
export { compileTemplate, randomLetters, TemplateError, type CompiledTemplate, type TemplateValues } from './template.js';
export { compileMatch, compileMatcher, type CompiledMatcher, type ReceivedMessage } from './matcher.js';
export { compilePath, keyOf, valueAt, type CompiledPath } from './json-path.js';
export { compileProfile, DEFAULT_HANDSHAKE_TIMEOUT_MS, type CompiledProfile, type CompiledReply } from './compile.js';
