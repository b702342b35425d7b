// What every map page shares: a Leaflet map that works without a tile server (the
// background is then plain), and a camera's view drawn as a fan.
var CanvassMaps = (function () {
  "use strict";

  function baseMap(element) {
    var map = L.map(element, { scrollWheelZoom: false });
    var tiles = element.dataset.tiles;
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: element.dataset.attribution || "" }).addTo(map);
    }
    L.control.scale({ imperial: true }).addTo(map);
    return map;
  }

  // A camera's view: the fan from its position towards its bearing, as wide and as far as it sees.
  function sector(lat, lon, bearing, fov, range) {
    var points = [[lat, lon]];
    var steps = Math.max(4, Math.ceil(fov / 10));
    var metresPerDegreeLat = 111320;
    var metresPerDegreeLon = 111320 * Math.cos((lat * Math.PI) / 180);
    for (var i = 0; i <= steps; i++) {
      var angle = ((bearing - fov / 2 + (fov * i) / steps) * Math.PI) / 180;
      points.push([lat + (range * Math.cos(angle)) / metresPerDegreeLat,
                   lon + (range * Math.sin(angle)) / metresPerDegreeLon]);
    }
    return points;
  }

  // The search area of a canvass: a circle around the incident, or the drawn polygon.
  function area(map, incident, shape, style) {
    if (shape.circle) { return L.circle(incident, Object.assign({ radius: shape.circle.radius_m }, style)).addTo(map); }
    return L.polygon(shape.polygon, style).addTo(map);
  }

  function escape(text) {
    return String(text).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }

  return { baseMap: baseMap, sector: sector, area: area, escape: escape };
})();
