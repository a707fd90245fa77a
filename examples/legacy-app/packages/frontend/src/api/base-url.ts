/** Where the API lives: the page's own origin in production, set by the bundler for development. */
export const API_BASE_URL: string = process.env['API_BASE_URL'] ?? '';
