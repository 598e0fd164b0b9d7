/**
 * The answer to work a draining instance will not take (SIGTERM: a new request on a kept-alive
 * connection, or one still waiting in a queue): retry at once, on a new connection, which the
 * load balancer sends to another instance.
 */
import { problem, problemResponse } from "@lanesegnet/shared";

export function drainingResponse(): Response {
  return problemResponse(problem(503, { detail: "this backend instance is shutting down; retry" }), {
    "Retry-After": "1",
    Connection: "close",
  });
}
