// The bundler replaces process.env.* at build time, as Create React App and webpack's DefinePlugin do.
declare const process: { env: Record<string, string | undefined> };
