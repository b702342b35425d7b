// The canvass form: place the incident with a click, draw the area as a circle or corner by
// corner, and see the agency's limits checked as you go (the server has the final word).
(function () {
  "use strict";
  var form = document.getElementById("canvass-form");
  var element = document.getElementById("canvass-map");
  if (!form || !element) { return; }

  var map = CanvassMaps.baseMap(element);
  var field = function (name) { return form.elements.namedItem(name); };
  var marker = null;
  var shapeLayer = null;
  var cornerLayer = L.layerGroup().addTo(map);
  var corners = [];
  try { corners = JSON.parse(field("polygon").value || "[]"); } catch (ignored) { corners = []; }

  function shape() { return form.querySelector("input[name=shape]:checked").value; }

  function incident() {
    var lat = parseFloat(field("latitude").value);
    var lon = parseFloat(field("longitude").value);
    return isNaN(lat) || isNaN(lon) ? null : L.latLng(lat, lon);
  }

  function placeIncident(latlng) {
    field("latitude").value = latlng.lat.toFixed(6);
    field("longitude").value = latlng.lng.toFixed(6);
    redraw();
    check();
  }

  function redraw() {
    var at = incident();
    if (at && !marker) {
      marker = L.marker(at, { draggable: true, title: "Incident" }).addTo(map);
      marker.on("dragend", function () { placeIncident(marker.getLatLng()); });
    } else if (at) {
      marker.setLatLng(at);
    }
    if (shapeLayer) { map.removeLayer(shapeLayer); shapeLayer = null; }
    cornerLayer.clearLayers();
    var style = { color: "#1f5fa8", weight: 2, fillOpacity: 0.12 };
    if (shape() === "circle") {
      var radius = parseFloat(field("radius_m").value);
      if (at && radius > 0) { shapeLayer = L.circle(at, Object.assign({ radius: radius }, style)).addTo(map); }
    } else {
      corners.forEach(function (corner) { L.circleMarker(corner, { radius: 4, color: "#1f5fa8" }).addTo(cornerLayer); });
      if (corners.length >= 2) { shapeLayer = L.polygon(corners, style).addTo(map); }
    }
    document.getElementById("polygon-tools").hidden = shape() !== "polygon";
    field("radius_m").closest(".field").hidden = shape() === "polygon";
    document.getElementById("map-mode-note").textContent = shape() === "polygon" && at
      ? "Clicking the map adds a corner of the area (" + corners.length + " so far)."
      : "Clicking the map places the incident.";
  }

  map.on("click", function (event) {
    if (shape() === "polygon" && incident()) {
      corners.push([+event.latlng.lat.toFixed(6), +event.latlng.lng.toFixed(6)]);
      field("polygon").value = JSON.stringify(corners);
      redraw();
      check();
    } else {
      placeIncident(event.latlng);
    }
  });
  document.getElementById("clear-corners").addEventListener("click", function () {
    corners = [];
    field("polygon").value = "";
    redraw();
    check();
  });

  // Policy feedback, asked of the server a moment after the last change.
  var feedback = document.getElementById("policy-feedback");
  var timer = null;
  function check() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(form.dataset.check, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(show)
        .catch(function () { /* the server checks again on submit */ });
    }, 300);
  }

  function show(result) {
    if (!result) { return; }
    var summary = document.getElementById("policy-summary");
    var list = document.getElementById("policy-messages");
    list.innerHTML = "";
    var size = result.area_square_miles == null ? "" : "The area is " + result.area_square_miles.toFixed(3) + " square miles. ";
    var messages = [];
    if (Object.keys(result.refusals).length) {
      feedback.className = "policy-feedback refused";
      summary.textContent = size + "Not yet acceptable:";
      Object.keys(result.refusals).forEach(function (k) { messages = messages.concat(result.refusals[k]); });
    } else if (!result.within_limits) {
      feedback.className = "policy-feedback exceeds";
      summary.textContent = size + "Beyond your agency's limits: a supervisor must approve it.";
      Object.keys(result.exceedances).forEach(function (k) { messages = messages.concat(result.exceedances[k]); });
    } else {
      feedback.className = "policy-feedback within";
      summary.textContent = size + "Within your agency's limits: you may send the requests yourself.";
    }
    messages.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    feedback.hidden = false;
  }

  form.addEventListener("input", function (event) {
    if (event.target.name === "latitude" || event.target.name === "longitude") {
      var at = incident();
      if (at) { map.setView(at, Math.max(map.getZoom() || 0, 16)); }
    }
    redraw();
    check();
  });
  form.addEventListener("change", function () { redraw(); check(); });

  var start = incident();
  if (start) { map.setView(start, 16); } else if (corners.length) { map.fitBounds(corners); } else { map.setView([39.5, -98.35], 4); }
  redraw();
  if (start) { check(); }
  element.classList.add("ready");
})();
