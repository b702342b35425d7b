// The public map: counts of registered cameras per square, from the public coverage API.
(function () {
  "use strict";
  var element = document.getElementById("coverage");
  if (!element) { return; }
  var map = L.map(element, { scrollWheelZoom: false });
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution || "" }).addTo(map);
  }
  L.control.scale({ imperial: true }).addTo(map);
  fetch(element.dataset.source, { headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var bounds = [];
      data.cells.forEach(function (cell) {
        var box = [[cell.south, cell.west], [cell.south + cell.size_degrees, cell.west + cell.size_degrees]];
        L.rectangle(box, { color: "#1f5fa8", weight: 1, fillOpacity: Math.min(0.8, 0.15 + cell.cameras / 40) })
          .bindTooltip(cell.cameras + " camera" + (cell.cameras === 1 ? "" : "s"))
          .addTo(map);
        bounds.push(box[0], box[1]);
      });
      if (bounds.length) { map.fitBounds(bounds); } else { map.setView([39.5, -98.35], 4); }
      element.classList.add("ready");
    });
})();
