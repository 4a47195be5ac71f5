// Starts Swagger UI (served from the swagger-ui-bundle-v2 wheel) on the app's own schema.
"use strict";

window.ui = window.SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
});
