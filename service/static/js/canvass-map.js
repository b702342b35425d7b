// The canvass page's map: the search area, the incident, each candidate camera's view
// coloured by what its owner answered, and the doors the investigators knocked on. Clicking
// the map fills the visit form's position.
(function () {
  "use strict";
  var element = document.getElementById("canvass-map");
  if (!element) { return; }
  var data = JSON.parse(element.dataset.canvass);
  var map = CanvassMaps.baseMap(element);
  var incident = L.latLng(data.incident[0], data.incident[1]);

  var area = CanvassMaps.area(map, incident, data.area, { color: "#1d2733", weight: 2, dashArray: "6 4", fillOpacity: 0.04 });
  data.candidates.forEach(function (camera) {
    var fan = CanvassMaps.sector(camera.latitude, camera.longitude, camera.bearing, camera.fov, camera.range);
    L.polygon(fan, { color: camera.colour, weight: 1, fillOpacity: camera.covers ? 0.35 : 0.12 }).addTo(map);
    L.circleMarker([camera.latitude, camera.longitude], { radius: 7, color: "#fff", weight: 2, fillColor: camera.colour, fillOpacity: 1 })
      .bindTooltip(CanvassMaps.escape(camera.label))
      .addTo(map);
  });
  data.visits.forEach(function (visit) {
    L.circleMarker([visit.latitude, visit.longitude], { radius: 6, color: "#1d2733", weight: 2, fillColor: "#ffffff", fillOpacity: 1 })
      .bindTooltip("Visited: " + CanvassMaps.escape(visit.result))
      .addTo(map);
  });
  L.marker(incident, { title: "Incident" }).addTo(map);
  map.fitBounds(area.getBounds(), { padding: [16, 16] });

  var visitForm = document.getElementById("visit-form");
  if (visitForm) {
    var pin = null;
    map.on("click", function (event) {
      visitForm.elements.namedItem("latitude").value = event.latlng.lat.toFixed(6);
      visitForm.elements.namedItem("longitude").value = event.latlng.lng.toFixed(6);
      if (pin) { pin.setLatLng(event.latlng); } else { pin = L.circleMarker(event.latlng, { radius: 6, color: "#b3261e" }).addTo(map); }
    });
  }
  element.classList.add("ready");
})();
