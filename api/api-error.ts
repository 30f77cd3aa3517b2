/**
 * An error a route throws to answer with a status and a JSON `{ error }` message. Its own module,
 * so that route modules do not load the HTTP server's packages: cli/main.ts imports the server only
 * once the first long poll is out.
 */
export class ApiError extends Error {
  constructor(readonly statusCode: 400 | 401 | 404 | 409 | 413 | 421 | 422 | 503, message: string) {
    super(message);
  }
}
