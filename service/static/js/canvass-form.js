// The canvass form: place the incident by its address, a click or its coordinates (the last
// one the person did wins, and the map and the address field show where it now is), draw
// the area as a circle or corner by corner (clicks or typed corners), and see the agency's
// limits checked as you go (the server has the final word).
(function () {
  "use strict";
  var form = document.getElementById("canvass-form");
  var element = document.getElementById("canvass-map");
  if (!form || !element) { return; }

  var map = CanvassMaps.baseMap(element);
  var field = function (name) { return form.elements.namedItem(name); };
  var note = document.getElementById("incident-note");
  var choices = document.getElementById("address-choices");
  var places = form.dataset.places;
  var marker = null;
  var shapeLayer = null;
  var cornerLayer = L.layerGroup().addTo(map);
  var corners = [];
  try { corners = JSON.parse(field("polygon").value || "[]"); } catch (ignored) { corners = []; }
  if (!corners.length) { corners = typedCorners() || []; }

  function shape() { return form.querySelector("input[name=shape]:checked").value; }

  function incident() {
    var lat = parseFloat(field("latitude").value);
    var lon = parseFloat(field("longitude").value);
    return isNaN(lat) || isNaN(lon) ? null : L.latLng(lat, lon);
  }

  function say(text) { note.textContent = text; }

  function setCoordinates(latlng) {
    field("latitude").value = latlng ? latlng.lat.toFixed(6) : "";
    field("longitude").value = latlng ? latlng.lng.toFixed(6) : "";
  }

  function lookup(query) {
    return fetch(places + "?" + new URLSearchParams(query).toString(), { credentials: "same-origin" })
      .then(function (response) { return response.json(); });
  }

  // A click (or dragged pin, or typed coordinates) placed the incident: the typed address no
  // longer says where it is, so the address found at the new place replaces it.
  function placedOnMap(latlng, how) {
    var hadAddress = field("placed_by").value === "address" && field("address").value.trim();
    field("placed_by").value = "map";
    if (how !== "typed") { setCoordinates(latlng); }
    choices.hidden = true;
    var where = latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5);
    var before = hadAddress ? "The incident moved from the address you typed to the place you " +
      (how === "typed" ? "typed" : "clicked") + ": " : "The incident is at ";
    say(before + where + ".");
    field("address").value = "";
    lookup({ latitude: latlng.lat, longitude: latlng.lng }).then(function (found) {
      if (field("placed_by").value !== "map" || !incident() || !incident().equals(latlng, 1e-6)) { return; }
      if (found.address) {
        field("address").value = found.address;
        say(before + where + ", at " + found.address + " (the address found there).");
      } else {
        say(before + where + " (no address point within 40 m).");
      }
    }).catch(function () { /* the coordinates stand on their own */ });
    redraw();
    check();
  }

  // The typed address is the last thing done: it places the incident once it is found.
  var addressTimer = null;
  function addressTyped() {
    field("placed_by").value = "address";
    setCoordinates(null);
    choices.hidden = true;
    redraw();
    clearTimeout(addressTimer);
    addressTimer = setTimeout(findAddress, 700);
  }

  function findAddress() {
    clearTimeout(addressTimer);
    var typed = field("address").value.trim();
    if (!typed) { say(""); return; }
    say("Looking for " + typed + "…");
    lookup({ address: typed }).then(function (found) {
      if (field("address").value.trim() !== typed || field("placed_by").value !== "address") { return; }
      var list = found.candidates || [];
      if (list.length === 1) {
        useAddress(list[0]);
      } else if (list.length > 1) {
        offerChoices(list);
      } else {
        say(found.message || "We could not find " + typed + ". Check it, or click the map where it happened.");
      }
    }).catch(function () { say("The address could not be looked up now. Click the map where it happened."); });
  }

  function useAddress(place) {
    field("placed_by").value = "address";
    field("address").value = place.address;
    choices.hidden = true;
    var at = L.latLng(place.latitude, place.longitude);
    setCoordinates(at);
    map.setView(at, Math.max(map.getZoom() || 0, 16));
    say("The incident is at " + place.address + " (the address found), shown by the pin on the map.");
    redraw();
    check();
  }

  function offerChoices(list) {
    choices.innerHTML = "";
    say("This address matches " + list.length + " places. Choose one:");
    list.slice(0, 8).forEach(function (place) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = place.address;
      button.addEventListener("click", function () { useAddress(place); field("placed_by").value = "map"; });
      choices.appendChild(button);
    });
    choices.hidden = false;
  }

  function typedCorners() {
    var lines = field("corners").value.split("\n").map(function (line) { return line.trim(); })
      .filter(function (line) { return line; });
    var parsed = lines.map(function (line) {
      var parts = line.replace(/,/g, " ").split(/\s+/).map(parseFloat);
      return parts.length === 2 && !isNaN(parts[0]) && !isNaN(parts[1]) ? [parts[0], parts[1]] : null;
    });
    return parsed.every(function (corner) { return corner; }) ? parsed : null;
  }

  function writeCorners() {
    field("polygon").value = corners.length ? JSON.stringify(corners) : "";
    field("corners").value = corners.map(function (c) { return c[0] + ", " + c[1]; }).join("\n");
  }

  function redraw() {
    var at = incident();
    if (at && !marker) {
      marker = L.marker(at, { draggable: true, title: "Incident", keyboard: false }).addTo(map);
      marker.on("dragend", function () { placedOnMap(marker.getLatLng(), "dragged"); });
    } else if (at) {
      marker.setLatLng(at);
    } else if (marker) {
      map.removeLayer(marker);
      marker = null;
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
    document.getElementById("corners-field").hidden = shape() !== "polygon";
    field("radius_m").closest(".field").hidden = shape() === "polygon";
    document.getElementById("map-mode-note").textContent = shape() === "polygon" && at
      ? "Clicking the map adds a corner of the area (" + corners.length + " so far)."
      : "Clicking the map places the incident.";
  }

  map.on("click", function (event) {
    if (shape() === "polygon" && incident()) {
      corners.push([+event.latlng.lat.toFixed(6), +event.latlng.lng.toFixed(6)]);
      writeCorners();
      redraw();
      check();
    } else {
      placedOnMap(event.latlng, "clicked");
    }
  });
  document.getElementById("clear-corners").addEventListener("click", function () {
    corners = [];
    writeCorners();
    redraw();
    check();
  });
  document.getElementById("find-address").addEventListener("click", findAddress);
  field("address").addEventListener("keydown", function (event) {
    // Enter on a highlighted suggestion picks it (address-suggest.js); else look it up.
    if (event.key === "Enter" && !field("address").getAttribute("aria-activedescendant")) {
      event.preventDefault();
      findAddress();
    }
  });
  // A suggestion picked from the gazetteer is a found address: it places the incident.
  field("address").addEventListener("address-suggest:pick", function (event) {
    clearTimeout(addressTimer);
    useAddress(event.detail);
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

  var coordinatesTimer = null;
  form.addEventListener("input", function (event) {
    var name = event.target.name;
    if (name === "address") { addressTyped(); return; }
    if (name === "latitude" || name === "longitude") {
      var at = incident();
      clearTimeout(coordinatesTimer);
      if (at) {
        map.setView(at, Math.max(map.getZoom() || 0, 16));
        coordinatesTimer = setTimeout(function () { if (incident()) { placedOnMap(incident(), "typed"); } }, 500);
      }
    }
    if (name === "corners") {
      var typed = typedCorners();
      if (typed) { corners = typed; field("polygon").value = corners.length ? JSON.stringify(corners) : ""; }
    }
    redraw();
    check();
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "address") { return; }
    redraw();
    check();
  });

  // A canvass being changed opens on its whole area; a new one on the place given, if any.
  var start = incident();
  var radius = parseFloat(field("radius_m").value);
  if (start && shape() === "polygon" && corners.length) {
    map.fitBounds(L.latLngBounds(corners).extend(start), { padding: [16, 16] });
  } else if (start && shape() === "circle" && radius > 0 && field("placed_by").value) {
    map.fitBounds(start.toBounds(radius * 2), { padding: [16, 16] });
  } else if (start) {
    map.setView(start, 16);
  } else if (corners.length) {
    map.fitBounds(corners);
  } else if (CanvassMaps.home) {
    CanvassMaps.home(map);
  } else {
    map.setView([39.5, -98.35], 4);
  }
  redraw();
  if (start) { check(); }
  element.classList.add("ready");
})();
