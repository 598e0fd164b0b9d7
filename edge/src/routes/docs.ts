/**
 * GET /docs — Swagger UI for /openapi.json. The page runs on the API's own origin, where users
 * paste API keys, so its script and stylesheet come from jsDelivr at an exact swagger-ui-dist
 * version with Subresource Integrity, and its Content-Security-Policy allows scripts and styles only
 * from that version's folder and this origin. Its start-up script is served here (GET
 * /docs/init.js), so no inline script is allowed. The page needs internet; /openapi.json does not.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env.js";

export const SWAGGER_UI_VERSION = "5.35.0";
const CDN = `https://cdn.jsdelivr.net/npm/swagger-ui-dist@${SWAGGER_UI_VERSION}/`;

/**
 * sha384 of the files in the npm package (`npm pack swagger-ui-dist@5.35.0`; jsDelivr serves them
 * byte for byte). A new version needs new hashes:
 * `openssl dgst -sha384 -binary package/swagger-ui-bundle.js | openssl base64 -A`.
 */
export const SWAGGER_UI_ASSETS = {
  script: {
    url: `${CDN}swagger-ui-bundle.js`,
    integrity: "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9",
  },
  style: {
    url: `${CDN}swagger-ui.css`,
    integrity: "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I",
  },
} as const;

export const DOCS_CSP = [
  "default-src 'none'",
  `script-src 'self' ${CDN}`,
  `style-src ${CDN}`,
  // swagger-ui.css draws its icons from data: URLs.
  "img-src 'self' data:",
  // The document and "Try it out" requests (the document names no servers: this origin).
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>LaneSegNet API</title>
    <link rel="stylesheet" href="${SWAGGER_UI_ASSETS.style.url}" integrity="${SWAGGER_UI_ASSETS.style.integrity}" crossorigin="anonymous" />
  </head>
  <body>
    <div id="swagger-ui">
      <p>Loading Swagger UI from cdn.jsdelivr.net (needs internet). The OpenAPI document itself:
        <a href="/openapi.json">/openapi.json</a>.</p>
    </div>
    <script src="${SWAGGER_UI_ASSETS.script.url}" integrity="${SWAGGER_UI_ASSETS.script.integrity}" crossorigin="anonymous"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", validatorUrl: "none" });
`;

export function registerDocsRoutes(app: OpenAPIHono<AppEnv>): void {
  app.get("/docs", (c) =>
    c.html(PAGE, 200, { "content-security-policy": DOCS_CSP, "cache-control": "public, max-age=300" }),
  );
  app.get("/docs/init.js", (c) =>
    c.body(INIT, 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=300",
    }),
  );
}
