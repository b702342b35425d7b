// Starts Swagger UI on the API documentation page, with the settings the page carries as data
// (a script of the service's own, so the page needs no inline script).
(function () {
  "use strict";

  function read(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  window.addEventListener("load", function () {
    var config = read("swagger-ui-config");
    var overrides = read("swagger-ui-overrides");
    for (var name in overrides) { config[name] = overrides[name]; }
    window.ui = SwaggerUIBundle(config);
  });
})();
