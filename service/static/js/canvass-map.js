// The canvass page's map: the search area, the incident, each candidate camera's view
// coloured by what its owner answered (a camera whose owner keeps its exact place to
// themselves drawn as its square of about 100 m, not a point), and the doors the
// investigators knocked on. Clicking the map fills the visit form's position.
(function () {
  "use strict";
  var element = document.getElementById("canvass-map");
  if (!element) { return; }
  var data = JSON.parse(element.dataset.canvass);
  var map = CanvassMaps.baseMap(element);
  var incident = L.latLng(data.incident[0], data.incident[1]);

  // The view is set from the area's own geometry first: a circle has no bounds of its own
  // until the map it is on has a view.
  var bounds = data.area.circle
    ? incident.toBounds(data.area.circle.radius_m * 2)
    : L.latLngBounds(data.area.polygon);
  map.fitBounds(bounds, { padding: [16, 16] });

  CanvassMaps.area(map, incident, data.area, { color: "#1d2733", weight: 2, dashArray: "6 4", fillOpacity: 0.04 });
  data.candidates.forEach(function (camera) {
    var fan = CanvassMaps.sector(camera.latitude, camera.longitude, camera.bearing, camera.fov, camera.range);
    L.polygon(fan, { color: camera.colour, weight: 1, fillOpacity: camera.covers ? 0.35 : 0.12 }).addTo(map);
    var mark = camera.cell
      ? L.rectangle(camera.cell, { color: camera.colour, weight: 2, dashArray: "4 3", fillColor: camera.colour, fillOpacity: 0.25 })
      : L.circleMarker([camera.latitude, camera.longitude], { radius: 7, color: "#fff", weight: 2, fillColor: camera.colour, fillOpacity: 1 });
    mark.bindTooltip(CanvassMaps.escape(camera.label) + (camera.cell ? " (somewhere in this square)" : ""))
      .addTo(map);
  });
  data.visits.forEach(function (visit) {
    L.circleMarker([visit.latitude, visit.longitude], { radius: 6, color: "#1d2733", weight: 2, fillColor: "#ffffff", fillOpacity: 1 })
      .bindTooltip("Visited: " + CanvassMaps.escape(visit.result))
      .addTo(map);
  });
  L.marker(incident, { title: "Incident" }).addTo(map);

  var visitForm = document.getElementById("visit-form");
  if (visitForm) {
    var pin = null;
    var note = document.getElementById("visit-map-note");
    var field = function (name) { return visitForm.elements.namedItem(name); };
    var typed = function () {
      var lat = parseFloat(field("latitude").value);
      var lon = parseFloat(field("longitude").value);
      return isNaN(lat) || isNaN(lon) ? null : L.latLng(lat, lon);
    };
    var show = function (at) {
      if (!at) { return; }
      if (pin) { pin.setLatLng(at); } else { pin = L.circleMarker(at, { radius: 6, color: "#b3261e" }).addTo(map); }
    };
    map.on("click", function (event) {
      field("latitude").value = event.latlng.lat.toFixed(6);
      field("longitude").value = event.latlng.lng.toFixed(6);
      show(event.latlng);
      if (note) { note.textContent = "The visit form has the door you clicked: " + field("latitude").value + ", " + field("longitude").value + "."; }
    });
    ["latitude", "longitude"].forEach(function (name) {
      field(name).addEventListener("input", function () { show(typed()); });
    });
    show(typed());  // the position typed before a refused submission
  }
  element.classList.add("ready");
})();
