/* Place picker (templates/components/place_picker.html): a click on the map fills the latitude and
 * longitude fields of the form. The fields stay the way to enter a place without a mouse or without the map.
 *
 * Privacy: as with the project map, tiles are requested only after the visitor clicks "Choose the place".
 * Uses the helpers of project-map.js (window.SC5Map), loaded before it. Plain ES2017, no build step.
 */
(function () {
  "use strict";

  function parse(value, decimal) {
    var text = String(value || "").trim();
    if (decimal && decimal !== ".") {
      text = text.split(decimal).join(".");
    }
    var number = parseFloat(text);
    return isFinite(number) ? number : null;
  }

  function format(number, decimal) {
    var text = number.toFixed(6);
    return decimal && decimal !== "." ? text.replace(".", decimal) : text;
  }

  function open(root) {
    if (root.sc5Map || !window.L || !window.SC5Map) {
      return;
    }
    var canvas = root.querySelector("[data-sc5-picker-canvas]");
    var button = root.querySelector("[data-sc5-picker-show]");
    var lat = document.getElementById(root.dataset.latitude);
    var lon = document.getElementById(root.dataset.longitude);
    if (!canvas || !lat || !lon) {
      return;
    }
    var decimal = root.dataset.decimal || ".";
    var parts = (root.dataset.bounds || "").split(",").map(Number);
    var bounds = parts.length === 4 && parts.every(isFinite)
      ? window.L.latLngBounds([parts[0], parts[1]], [parts[2], parts[3]]) : null;
    canvas.hidden = false;
    var consent = button && button.closest(".sc5-map-consent");
    if (consent) {
      consent.style.display = "none";
    }
    var map = window.L.map(canvas, { keyboard: true, scrollWheelZoom: false, zoomSnap: 0.25 });
    root.sc5Map = map;
    if (bounds) {
      map.fitBounds(bounds);
      map.setMaxBounds(bounds.pad(0.2));
      // The area in which a place can be chosen.
      window.L.rectangle(bounds, { fill: false, weight: 2, color: "#005b96", interactive: false }).addTo(map);
    } else {
      map.setView([51.4, 8.0], 10);
    }
    var marker = null;
    var markerIcon = window.SC5Map.markerIcon(root);

    function place(latlng) {
      if (marker) {
        marker.setLatLng(latlng);
      } else {
        marker = window.L.marker(latlng, { icon: markerIcon, keyboard: false }).addTo(map);
      }
    }

    var current = [parse(lat.value, decimal), parse(lon.value, decimal)];
    if (current[0] !== null && current[1] !== null) {
      place(current);
    }
    map.on("click", function (event) {
      if (bounds && !bounds.contains(event.latlng)) {
        window.SC5Map.setStatus(root, root.dataset.msgOutside || "");
        return;
      }
      place(event.latlng);
      lat.value = format(event.latlng.lat, decimal);
      lon.value = format(event.latlng.lng, decimal);
      lat.dispatchEvent(new Event("change", { bubbles: true }));
      lon.dispatchEvent(new Event("change", { bubbles: true }));
      window.SC5Map.setStatus(root, root.dataset.msgChosen || "");
    });
    var errors = 0;
    var tiles = window.L.tileLayer(root.dataset.tileUrl, {
      attribution: root.dataset.tileAttribution || "",
      maxZoom: 19,
      referrerPolicy: "strict-origin",
    });
    tiles.on("tileerror", function () {
      errors += 1;
      if (errors === 3) {
        window.SC5Map.setStatus(root, root.dataset.msgError || "");
      }
    });
    tiles.addTo(map);
    canvas.focus();
  }

  function init(root) {
    if (root.sc5PickerReady) {
      return;
    }
    root.sc5PickerReady = true;
    var button = root.querySelector("[data-sc5-picker-show]");
    if (button) {
      button.addEventListener("click", function () { open(root); });
    }
  }

  function initAll() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-sc5-picker]"), init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
