// Maps the k6 module names to the emulation shims (see README.md). Used as `node --import register.mjs`.
import { register } from 'node:module';

register('./k6-hooks.mjs', import.meta.url);
