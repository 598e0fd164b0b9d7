/**
 * API failures in plain words. The API answers errors as problem+json (RFC 9457: `title`, `detail`,
 * `errors[]` for fields); this turns a status, that body and the response headers into a title and
 * a sentence a road engineer can act on — what happened and when to try again.
 */
import { parseRateLimitPolicy } from "./ratelimit.js";

export interface ProblemBody {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
  /** On /problems/no-imagery: each imagery provider considered, and why it did not serve. */
  readonly providers_tried?: readonly {
    readonly provider: string;
    readonly outcome: string;
    readonly reason?: string;
  }[];
}

export interface FailureMessage {
  readonly title: string;
  readonly message: string;
  /** Seconds to wait before retrying, when the service said so. */
  readonly retryAfterS?: number;
}

export interface HeaderSource {
  get(name: string): string | null;
}

/** "45 seconds", "12 minutes", "1 hour 5 minutes". */
export function formatDuration(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.ceil(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? "" : "s"}`;
  const h = Math.floor(m / 60);
  const rest = m % 60;
  return `${h} hour${h === 1 ? "" : "s"}${rest ? ` ${rest} minute${rest === 1 ? "" : "s"}` : ""}`;
}

/** Local HH:MM of a time, rounded up to the minute (never earlier than the time itself). */
function clock(at: Date): string {
  const t = new Date(Math.ceil(at.getTime() / 60_000) * 60_000);
  return `${String(t.getHours()).padStart(2, "0")}:${String(t.getMinutes()).padStart(2, "0")}`;
}

const FIELD_NAMES: Readonly<Record<string, string>> = {
  "/area/bbox/0": "West",
  "/area/bbox/1": "South",
  "/area/bbox/2": "East",
  "/area/bbox/3": "North",
  "/area/bbox": "Area",
  "/area": "Area",
  "/resolution_m": "Ground resolution",
};

/** The API's field names as this page labels them (its messages may name them). */
export function inPageTerms(message: string): string {
  return message.replace(/\bresolution_m\b/g, "ground resolution");
}

/** What each provider outcome means for the user, short (`reason` has the details). */
const OUTCOME_WORDS: Readonly<Record<string, string>> = {
  no_coverage: "does not cover this area",
  failed: "failed",
  timeout: "did not answer in time",
  unhealthy: "is paused after recent failures",
  not_configured: "is not set up on this server",
};

const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  local: "Local imagery",
  esri: "Esri",
  mapbox: "Mapbox",
  gee: "Earth Engine",
};

/** "Local imagery does not cover this area; Esri failed." from a problem's providers_tried. */
function providersTried(body: ProblemBody | null): string | undefined {
  const tried = (body?.providers_tried ?? []).filter((a) => a.outcome !== "used");
  if (tried.length === 0) return undefined;
  const parts = tried.map(
    (a) => `${PROVIDER_NAMES[a.provider] ?? a.provider} ${OUTCOME_WORDS[a.outcome] ?? a.outcome}`,
  );
  return `${parts.join("; ")}.`;
}

/** Whether anything in the list may change on a retry (a failure or a timeout, not missing coverage). */
function retryMayHelp(body: ProblemBody | null): boolean {
  const tried = body?.providers_tried ?? [];
  return tried.length === 0 || tried.some((a) => ["failed", "timeout", "unhealthy"].includes(a.outcome));
}

/** A detail without its own retry advice ("…; try again later."): the page says when, once. */
function withoutRetryAdvice(detail: string): string {
  return detail.replace(/[;,.]?\s*(please\s+)?try again[^.]*\.?\s*$/i, ".").replace(/\.\.$/, ".");
}

function fieldErrors(body: ProblemBody | null): string | undefined {
  const errors = body?.errors ?? [];
  if (errors.length === 0) return undefined;
  return errors
    .slice(0, 4)
    .map((e) => {
      const field = FIELD_NAMES[e.path];
      const message = inPageTerms(e.message);
      return field ? `${field}: ${message}` : message;
    })
    .join(" ");
}

function retryAfter(headers: HeaderSource): number | undefined {
  const v = headers.get("retry-after");
  return v && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
}

/** A call the page stopped itself: the user cancelled it, or no answer came within timeoutMs. */
export function abortedFailure(reason: "cancelled" | "timeout", timeoutMs: number): FailureMessage {
  if (reason === "cancelled") {
    return { title: "Cancelled", message: "The request was stopped before its answer came." };
  }
  return {
    title: "No answer in time",
    message: `The service did not answer within ${formatDuration(timeoutMs / 1000)}, so the page stopped waiting. Try again shortly, or a smaller area or a coarser resolution.`,
  };
}

export function describeFailure(
  status: number,
  body: ProblemBody | null,
  headers: HeaderSource,
  now: Date = new Date(),
): FailureMessage {
  const detail = body?.detail;
  const wait = retryAfter(headers);
  const waitWords = wait === undefined ? "shortly" : `in ${formatDuration(wait)}`;
  const withWait = (m: FailureMessage): FailureMessage =>
    wait === undefined ? m : { ...m, retryAfterS: wait };
  switch (true) {
    case status === 0:
      return {
        title: "The service could not be reached",
        message: "Check that the service is running and that this computer is online, then try again.",
      };
    case status === 400:
      return {
        title: "The area is not valid",
        message: fieldErrors(body) ?? detail ?? "Check the area's coordinates and the resolution.",
      };
    case status === 401:
      return {
        title: "Your API key or token was not accepted",
        message: `${detail ?? "The credential is missing or wrong."} Paste the whole key (it starts with lsn_) or a valid token.`,
      };
    case status === 404:
      return {
        title: "Result not found",
        message: detail ?? "This result no longer exists; run the analysis again.",
      };
    case status === 413:
      return { title: "The request is too large", message: detail ?? "Use a simpler area." };
    case status === 422:
      return {
        title: "No imagery for this area",
        message:
          providersTried(body) ?? detail ?? "None of the imagery sources covers this area. Try another area.",
      };
    case status === 429: {
      const policy = parseRateLimitPolicy(headers.get("ratelimit-policy"));
      const quota = policy ? `all ${policy.quota} analyses` : "all the analyses";
      const when =
        wait === undefined
          ? "later"
          : `again in about ${formatDuration(wait)} (around ${clock(new Date(now.getTime() + wait * 1000))})`;
      return withWait({
        title: "Hourly limit reached",
        message: `You have used ${quota} allowed per hour. You can analyse ${when}. Results you already have, their imagery and downloads still work.`,
      });
    }
    case status === 503:
      return withWait({
        title: "The service is busy or briefly unavailable",
        message: `${detail ? `${withoutRetryAdvice(detail)} ` : ""}Try again ${waitWords}.`,
      });
    case status === 504:
      return withWait({
        title: "The analysis took too long",
        message: detail ?? "Try a smaller area or a coarser resolution.",
      });
    case status === 502 && body?.type === "/problems/no-imagery": {
      // Which sources were tried and why each did not serve: whether waiting can help at all.
      const tried = providersTried(body);
      const retry = retryMayHelp(body)
        ? ` Try again ${waitWords}, or try another area.`
        : " Try another area.";
      return withWait({
        title: body.title ?? "No imagery for this area",
        message: `${tried ?? withoutRetryAdvice(detail ?? "No imagery source could serve this area.")}${retry}`,
      });
    }
    case status === 502:
      return withWait({
        title: "The analysis failed",
        message: `${withoutRetryAdvice(detail ?? "The analysis service failed.")} Try again ${waitWords}.`,
      });
    default:
      return withWait({
        title: status >= 500 ? "Something went wrong on the server" : `The request was refused (${status})`,
        message: detail ?? "Try again later.",
      });
  }
}
