/**
 * An error a route (or the server's own checks) throws to answer with a status and a JSON
 * `{ error }` message; any other error is a 500 (or a 503 for gaia.db trouble, server.ts).
 */
export class ApiError extends Error {
  constructor(readonly statusCode: 400 | 401 | 404 | 409 | 413 | 421 | 422 | 503, message: string) {
    super(message);
  }
}
