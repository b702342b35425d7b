// Maps on the owners' pages: sites with their cameras' view drawn as sectors, a camera's view
// turned by dragging a handle at the fan's edge (or typed in degrees), and a pin to place a
// site, by click, drag, typed coordinates or the keyboard.
(function () {
  "use strict";

  var baseMap = CanvassMaps.baseMap;
  var sector = CanvassMaps.sector;
  var EARTH_RADIUS_M = 6371008.8;

  function announcer(element) {
    var live = document.createElement("p");
    live.className = "hint";
    live.setAttribute("aria-live", "polite");
    element.insertAdjacentElement("afterend", live);
    return live;
  }

  function hint(element, id, text) {
    var paragraph = document.createElement("p");
    paragraph.className = "hint";
    paragraph.id = id;
    paragraph.textContent = text;
    element.insertAdjacentElement("afterend", paragraph);
    element.setAttribute("aria-describedby", id);
  }

  // The point `metres` away from (lat, lon) towards `bearing` (degrees from north).
  function destination(lat, lon, bearing, metres) {
    var angle = (bearing * Math.PI) / 180;
    var north = metres * Math.cos(angle);
    var east = metres * Math.sin(angle);
    return L.latLng(lat + (north / EARTH_RADIUS_M) * (180 / Math.PI),
                    lon + (east / (EARTH_RADIUS_M * Math.cos((lat * Math.PI) / 180))) * (180 / Math.PI));
  }

  // The bearing from (lat, lon) to a point, 0 to 359, in whole degrees.
  function bearingTo(lat, lon, point) {
    var north = point.lat - lat;
    var east = (point.lng - lon) * Math.cos((lat * Math.PI) / 180);
    var degrees = Math.round((Math.atan2(east, north) * 180) / Math.PI);
    return ((degrees % 360) + 360) % 360;
  }

  function drawSites(element) {
    var sites = JSON.parse(element.dataset.sites || "[]");
    if (!sites.length) { return; }
    var map = baseMap(element);
    var editing = element.dataset.editing;
    var bounds = [];
    sites.forEach(function (site) {
      var colour = site.status === "paused" ? "#b26a00" : "#1f5fa8";
      L.circleMarker([site.latitude, site.longitude], { radius: 6, color: colour, fillOpacity: 0.9 })
        .bindPopup('<a href="' + site.url + '">' + CanvassMaps.escape(site.label) + "</a>")
        .addTo(map);
      bounds.push([site.latitude, site.longitude]);
      site.cameras.forEach(function (camera) {
        if (editing && camera.id === editing) { return; }  // drawn by the editor below
        var fan = sector(site.latitude, site.longitude, camera.bearing, camera.fov, camera.range);
        L.polygon(fan, { color: colour, weight: 1, fillOpacity: 0.25 }).bindTooltip(camera.label).addTo(map);
        fan.forEach(function (point) { bounds.push(point); });
      });
    });
    var form = document.querySelector("form[data-view-form]");
    if (editing && form && sites.length === 1) {
      viewEditor(map, element, sites[0], form).forEach(function (point) { bounds.push(point); });
    }
    map.fitBounds(bounds, { padding: [20, 20], maxZoom: 19 });
    element.classList.add("ready");
  }

  // The camera being added or changed: its fan follows the typed degrees, and a handle at the
  // fan's edge turns it (dragged, or with the arrow keys once focused).
  function viewEditor(map, element, site, form) {
    var inputs = {
      bearing: form.querySelector("[name=bearing_degrees]"),
      fov: form.querySelector("[name=field_of_view_degrees]"),
      range: form.querySelector("[name=range_metres]"),
    };
    var live = announcer(element);
    function view() {
      var bearing = parseFloat(inputs.bearing.value);
      var fov = parseFloat(inputs.fov.value);
      var range = parseFloat(inputs.range.value);
      return {
        bearing: isNaN(bearing) ? 0 : bearing,
        fov: isNaN(fov) || fov <= 0 ? 90 : Math.min(fov, 360),
        range: isNaN(range) || range <= 0 ? 20 : Math.min(range, 500),
      };
    }
    var shown = view();
    var fan = L.polygon(sector(site.latitude, site.longitude, shown.bearing, shown.fov, shown.range),
                        { color: "#b3261e", weight: 2, dashArray: "5 4", fillOpacity: 0.2, className: "view-editing" }).addTo(map);
    var handle = L.marker(destination(site.latitude, site.longitude, shown.bearing, shown.range), {
      draggable: true, keyboard: true, autoPan: true,
      title: "Drag to turn the camera; or focus it and use the left and right arrow keys",
      alt: "Which way the camera looks",
      icon: L.divIcon({ className: "view-handle leaflet-div-icon", iconSize: [22, 22], html: "" }),
    }).addTo(map);
    function redraw(moveHandle) {
      var now = view();
      fan.setLatLngs(sector(site.latitude, site.longitude, now.bearing, now.fov, now.range));
      if (moveHandle) { handle.setLatLng(destination(site.latitude, site.longitude, now.bearing, now.range)); }
      return now;
    }
    function turnTo(bearing) {
      inputs.bearing.value = String(bearing);
      inputs.bearing.dispatchEvent(new Event("change", { bubbles: true }));
      redraw(false);
      live.textContent = "The camera looks towards " + bearing + " degrees.";
    }
    handle.on("drag", function () { turnTo(bearingTo(site.latitude, site.longitude, handle.getLatLng())); });
    handle.on("dragend", function () { redraw(true); });
    // The icon exists once the map has a view (after fitBounds): its keys are wired then.
    function wireKeys() {
      var icon = handle.getElement();
      // Drawn here rather than in site.css so the handle looks the same wherever the map is.
      icon.style.background = "#b3261e";
      icon.style.border = "3px solid #fff";
      icon.style.borderRadius = "50%";
      icon.style.boxShadow = "0 0 0 1px #1c2530";
      icon.style.cursor = "grab";
      icon.setAttribute("role", "slider");
      icon.setAttribute("aria-label", "Which way the camera looks, in degrees");
      icon.setAttribute("aria-valuemin", "0");
      icon.setAttribute("aria-valuemax", "359");
      icon.setAttribute("aria-valuenow", String(Math.round(view().bearing)));
      icon.addEventListener("keydown", function (event) {
        var step = event.shiftKey ? 15 : 5;
        var turn = { ArrowRight: step, ArrowUp: step, ArrowLeft: -step, ArrowDown: -step }[event.key];
        if (turn === undefined) { return; }
        event.preventDefault();
        event.stopPropagation();
        turnTo(((Math.round(view().bearing) + turn) % 360 + 360) % 360);
        redraw(true);
        icon.setAttribute("aria-valuenow", inputs.bearing.value);
      });
    }
    if (handle.getElement()) { wireKeys(); } else { handle.once("add", wireKeys); }
    ["input", "change"].forEach(function (kind) {
      [inputs.bearing, inputs.fov, inputs.range].forEach(function (input) {
        input.addEventListener(kind, function () { redraw(true); });
      });
    });
    return sector(site.latitude, site.longitude, shown.bearing, shown.fov, shown.range);
  }

  function pinPicker(element) {
    var latInput = document.getElementById("latitude");
    var lonInput = document.getElementById("longitude");
    var map = baseMap(element);
    var live = announcer(element);
    var marker = null;
    element.setAttribute("tabindex", "0");
    hint(element, "pin-map-keys",
         "With a keyboard: focus the map, move it with the arrow keys and press Enter to put the " +
         "pin at its centre; then Tab to the pin and move it with the arrow keys. Or type the " +
         "latitude and longitude below.");
    function say(latlng) {
      live.textContent = "The pin is at latitude " + latlng.lat.toFixed(6) + ", longitude " + latlng.lng.toFixed(6) + ".";
    }
    function show(latlng) {
      if (marker) { marker.setLatLng(latlng); return; }
      marker = L.marker(latlng, { draggable: true, keyboard: true, title: "Your site: drag it, or use the arrow keys", alt: "Your site's pin" }).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng()); });
      var icon = marker.getElement();
      if (icon) {
        icon.setAttribute("aria-label", "Your site's pin: move it with the arrow keys");
        icon.addEventListener("keydown", function (event) {
          var metres = event.shiftKey ? 20 : 2;
          var bearing = { ArrowUp: 0, ArrowRight: 90, ArrowDown: 180, ArrowLeft: 270 }[event.key];
          if (bearing === undefined) { return; }
          event.preventDefault();
          event.stopPropagation();
          var here = marker.getLatLng();
          place(destination(here.lat, here.lng, bearing, metres));
        });
      }
    }
    function place(latlng) {
      latInput.value = latlng.lat.toFixed(6);
      lonInput.value = latlng.lng.toFixed(6);
      show(latlng);
      map.panTo(latlng);
      say(latlng);
    }
    function typed() {
      var lat = parseFloat(latInput.value);
      var lon = parseFloat(lonInput.value);
      if (isNaN(lat) || isNaN(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) { return; }
      var latlng = L.latLng(lat, lon);
      show(latlng);
      map.setView(latlng, Math.max(map.getZoom() || 0, 17));
      say(latlng);
    }
    var lat = parseFloat(element.dataset.latitude);
    var lon = parseFloat(element.dataset.longitude);
    if (!isNaN(lat) && !isNaN(lon)) {
      map.setView([lat, lon], 17);
      show(L.latLng(lat, lon));
    } else if (CanvassMaps.home) {
      CanvassMaps.home(map);
    } else {
      map.setView([39.5, -98.35], 4);
    }
    map.on("click", function (event) { place(event.latlng); });
    element.addEventListener("keydown", function (event) {
      if (event.target === element && event.key === "Enter") {
        event.preventDefault();
        place(map.getCenter());
      }
    });
    [latInput, lonInput].forEach(function (input) {
      input.addEventListener("change", typed);
      input.addEventListener("input", typed);
    });
    element.classList.add("ready");
  }

  var sitesMap = document.getElementById("map");
  if (sitesMap) { drawSites(sitesMap); }
  var pinMap = document.getElementById("pin-map");
  if (pinMap) { pinPicker(pinMap); }
})();
