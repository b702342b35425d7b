// The public map: this month's rough counts of owners and cameras per square, from the public
// coverage API, drawn on the map and written out as a table (the same figures without a map).
(function () {
  "use strict";
  var element = document.getElementById("coverage");
  if (!element) { return; }
  var map = CanvassMaps.baseMap(element);
  var table = document.getElementById("coverage-table");
  var status = document.getElementById("coverage-status");

  function cell(row, text, label) {
    var td = document.createElement("td");
    td.textContent = text;
    td.dataset.label = label;
    row.appendChild(td);
  }

  function degrees(value, positive, negative) {
    return Math.abs(value).toFixed(3) + "\u00b0" + (value >= 0 ? positive : negative);
  }

  fetch(element.dataset.source, { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    })
    .then(function (data) {
      var bounds = [];
      var body = table ? table.querySelector("tbody") : null;
      data.blocks.forEach(function (block, index) {
        var box = [[block.south, block.west], [block.north, block.east]];
        var label = "Square " + (index + 1) + ": about " + block.owners + " owners, about " + block.cameras + " cameras";
        L.rectangle(box, { color: "#1f5fa8", weight: 1, fillOpacity: Math.min(0.8, 0.15 + block.cameras / 40) })
          .bindTooltip(label)
          .addTo(map);
        bounds.push(box[0], box[1]);
        if (body) {
          var row = document.createElement("tr");
          cell(row, String(index + 1), "Square");
          cell(row, degrees((block.south + block.north) / 2, " N", " S") + ", " + degrees((block.west + block.east) / 2, " E", " W"), "Centre of the square");
          cell(row, String(block.owners), "Owners (about)");
          cell(row, String(block.cameras), "Cameras (about)");
          body.appendChild(row);
        }
      });
      if (bounds.length) { map.fitBounds(bounds); } else { CanvassMaps.home(map); }
      if (status) {
        var shown = data.blocks.length === 1 ? " square is" : " squares are";
        status.textContent = data.blocks.length
          ? data.blocks.length + shown + " shown this month, in the map and in the table below it."
          : "No square has enough owners to be shown this month.";
      }
      if (table && data.blocks.length) { table.hidden = false; }
      element.classList.add("ready");
    })
    .catch(function () {
      CanvassMaps.home(map);
      if (status) { status.textContent = "The figures could not be loaded just now. Please try again in a few minutes."; }
      element.classList.add("ready");
    });
})();
