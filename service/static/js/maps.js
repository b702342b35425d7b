// What every map page shares: Leaflet maps drawn on the street basemap (the service's own
// PMTiles archive, or the city's tile server when one is set, else a plain background), with
// the data's attribution; "the whole city" as a view; and a camera's view drawn as a fan.
var CanvassMaps = (function () {
  "use strict";

  var found;

  // The page's map settings, written once by map_page.html (none: plain maps on the country).
  function settings() {
    if (found === undefined) {
      var block = document.getElementById("map-settings");
      found = block ? JSON.parse(block.textContent)
                    : { tiles: null, basemap: null, bounds: null, centre: [39.5, -98.35], zoom: 4 };
    }
    return found;
  }

  function background(map) {
    var chosen = settings();
    if (chosen.tiles) {
      return L.tileLayer(chosen.tiles, { maxZoom: 19, attribution: chosen.attribution }).addTo(map);
    }
    if (chosen.basemap && window.protomapsL) {
      return protomapsL.leafletLayer({
        url: chosen.basemap, flavor: "light", lang: "en", maxDataZoom: chosen.max_data_zoom,
        bounds: chosen.bounds, attribution: chosen.attribution,
      }).addTo(map);
    }
    return null;
  }

  // Every Leaflet map of the service gets the background, whichever script made it, so that
  // none is left without streets or without the attribution the data's licence asks for.
  L.Map.addInitHook(function () {
    if (this.options.background !== false) { this.baseLayer = background(this); }
  });

  function baseMap(element) {
    var map = L.map(element, { scrollWheelZoom: false });
    L.control.scale({ imperial: true }).addTo(map);
    return map;
  }

  // The whole city: the basemap's extent (or the service area's), else the whole country.
  function home(map) {
    var chosen = settings();
    if (chosen.bounds) { map.fitBounds(chosen.bounds); } else { map.setView(chosen.centre, chosen.zoom); }
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

  return { baseMap: baseMap, home: home, settings: settings, sector: sector, area: area, escape: escape };
})();
