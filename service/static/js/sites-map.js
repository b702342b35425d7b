// Maps on the owners' pages: sites with their cameras' view drawn as sectors, and a pin to
// place a site. Works without a tile server: the background is then plain.
(function () {
  "use strict";

  var baseMap = CanvassMaps.baseMap;
  var sector = CanvassMaps.sector;

  function drawSites(element) {
    var sites = JSON.parse(element.dataset.sites || "[]");
    if (!sites.length) { return; }
    var map = baseMap(element);
    var bounds = [];
    sites.forEach(function (site) {
      var colour = site.status === "paused" ? "#b26a00" : "#1f5fa8";
      L.circleMarker([site.latitude, site.longitude], { radius: 6, color: colour, fillOpacity: 0.9 })
        .bindPopup('<a href="' + site.url + '">' + L.Util.template("{label}", { label: site.label.replace(/</g, "&lt;") }) + "</a>")
        .addTo(map);
      bounds.push([site.latitude, site.longitude]);
      site.cameras.forEach(function (camera) {
        var fan = sector(site.latitude, site.longitude, camera.bearing, camera.fov, camera.range);
        L.polygon(fan, { color: colour, weight: 1, fillOpacity: 0.25 }).bindTooltip(camera.label).addTo(map);
        fan.forEach(function (point) { bounds.push(point); });
      });
    });
    map.fitBounds(bounds, { padding: [20, 20], maxZoom: 18 });
    element.classList.add("ready");
  }

  function pinPicker(element) {
    var latInput = document.getElementById("latitude");
    var lonInput = document.getElementById("longitude");
    var map = baseMap(element);
    var marker = null;
    function place(latlng) {
      latInput.value = latlng.lat.toFixed(6);
      lonInput.value = latlng.lng.toFixed(6);
      if (marker) { marker.setLatLng(latlng); return; }
      marker = L.marker(latlng, { draggable: true }).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng()); });
    }
    var lat = parseFloat(element.dataset.latitude);
    var lon = parseFloat(element.dataset.longitude);
    if (!isNaN(lat) && !isNaN(lon)) {
      map.setView([lat, lon], 17);
      place(L.latLng(lat, lon));
    } else {
      map.setView([39.5, -98.35], 4);
    }
    map.on("click", function (event) { place(event.latlng); });
    element.classList.add("ready");
  }

  var sitesMap = document.getElementById("map");
  if (sitesMap) { drawSites(sitesMap); }
  var pinMap = document.getElementById("pin-map");
  if (pinMap) { pinPicker(pinMap); }
})();
