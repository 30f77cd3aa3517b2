/**
 * What a route answers when it is not a plain 200 JSON value: another status (201, 503), or text
 * of its own content type (Prometheus). A route that returns anything else answers 200 with it
 * as JSON (a string as text/plain).
 */
export class ApiAnswer {
  private constructor(
    readonly status: number,
    readonly contentType: string,
    readonly text: string,
  ) {}

  static json(status: number, value: unknown): ApiAnswer {
    return new ApiAnswer(status, "application/json; charset=utf-8", JSON.stringify(value) ?? "null");
  }

  static text(status: number, text: string, contentType = "text/plain; charset=utf-8"): ApiAnswer {
    return new ApiAnswer(status, contentType, text);
  }

  /** What a route returned, as an answer. */
  static of(result: unknown): ApiAnswer {
    if (result instanceof ApiAnswer) return result;
    return typeof result === "string" ? ApiAnswer.text(200, result) : ApiAnswer.json(200, result);
  }
}
