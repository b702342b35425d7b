// Address suggestions as a person types: every <input data-address-suggest="URL"> becomes a
// combobox (WAI-ARIA 1.2) over the gazetteer's suggestions from URL?q=... Arrow keys move
// through them, Enter picks one, Escape closes the list; a live region under the field says
// how many were found, and then the address picked, which is also written into the field. Picking also
// fills the fields named by data-latitude-field / data-longitude-field and sends an
// "address-suggest:pick" event with the position, so a map can move its pin there.
(function () {
  "use strict";

  var WAIT_MS = 200;
  var MIN_TYPED = 3;

  function combobox(input, index) {
    var url = input.getAttribute("data-address-suggest") || "/addresses/suggest";
    var listId = (input.id || "address-" + index) + "-suggestions";
    var list = document.createElement("ul");
    var status = document.createElement("p");
    var suggestions = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    list.id = listId;
    list.className = "address-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Addresses found");
    list.hidden = true;
    status.className = "address-status";
    status.setAttribute("role", "status");
    status.id = listId + "-status";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);

    function announce(text) { status.textContent = text; }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(position) {
      var options = list.querySelectorAll("[role=option]");
      active = position;
      options.forEach(function (option, at) {
        option.setAttribute("aria-selected", at === position ? "true" : "false");
      });
      if (position < 0) { input.removeAttribute("aria-activedescendant"); return; }
      input.setAttribute("aria-activedescendant", options[position].id);
      options[position].scrollIntoView({ block: "nearest" });
    }

    function show(found) {
      suggestions = found;
      list.textContent = "";
      found.forEach(function (place, at) {
        var option = document.createElement("li");
        option.id = listId + "-" + at;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = place.address;
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { pick(at); });
        list.appendChild(option);
      });
      if (!found.length) {
        close();
        announce("No address found. Check the number and street, or place a pin on the map.");
        return;
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(-1);
      var count = found.length === 1 ? "1 address found" : found.length + " addresses found";
      announce(found[0].exact ? count + "." : "That number is not on this street: " + count +
        " nearby. Use the arrow keys to choose.");
    }

    function setField(id, value) {
      var field = id && document.getElementById(id);
      if (!field) { return; }
      field.value = value;
      field.dispatchEvent(new Event("input", { bubbles: true }));
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }

    // Typing again after a pick: the position it filled in no longer belongs to the field.
    var picked = null;
    function forgetPick() {
      var lat = document.getElementById(input.getAttribute("data-latitude-field"));
      var lon = document.getElementById(input.getAttribute("data-longitude-field"));
      if (picked && lat && lon && lat.value === picked[0] && lon.value === picked[1]) {
        setField(lat.id, "");
        setField(lon.id, "");
      }
      picked = null;
    }

    function pick(at) {
      var place = suggestions[at];
      input.value = place.address;
      close();
      announce("Address found: " + place.address);
      picked = [place.latitude.toFixed(6), place.longitude.toFixed(6)];
      setField(input.getAttribute("data-latitude-field"), picked[0]);
      setField(input.getAttribute("data-longitude-field"), picked[1]);
      input.dispatchEvent(new CustomEvent("address-suggest:pick", { bubbles: true, detail: place }));
    }

    function ask() {
      var typed = input.value.trim();
      var mine = ++asked;
      if (typed.length < MIN_TYPED) { close(); return; }
      fetch(url + "?q=" + encodeURIComponent(typed), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : { suggestions: [] };
      }).then(function (body) {
        if (mine === asked) { show(body.suggestions || []); }
      }).catch(function () {
        if (mine === asked) { close(); }
      });
    }

    input.addEventListener("input", function () {
      forgetPick();
      clearTimeout(timer);
      timer = setTimeout(ask, WAIT_MS);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && suggestions.length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!open) { if (suggestions.length) { show(suggestions); } else { return; } }
        event.preventDefault();
        var next = active + (event.key === "ArrowDown" ? 1 : -1);
        highlight(next >= suggestions.length ? 0 : next < 0 ? suggestions.length - 1 : next);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        pick(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  document.querySelectorAll("input[data-address-suggest]").forEach(combobox);
})();
