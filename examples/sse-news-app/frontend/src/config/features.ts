/** Feature flags read at build time. */
export const features = {
  useNewWSSync: false,
};
