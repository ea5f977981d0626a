/* Project map (templates/components/map.html): turns the list of places into a Leaflet map on request.
 *
 * Privacy: map tiles come from a third-party server, so nothing is requested from it before the visitor
 * clicks "Show map" (DSGVO/TDDDG). The click is remembered for this browser session only (sessionStorage,
 * per tile host), so later pages of the same visit open the map straight away.
 * The list of places below the map is always there; if the tiles fail, the map is removed again.
 * Plain ES2017, no build step. Data from the page is only ever put into the DOM with textContent.
 */
(function () {
  "use strict";

  var MAX_TILE_ERRORS = 3;
  var LOAD_TIMEOUT_MS = 8000;
  var STORAGE_PREFIX = "sc5-map-consent:";

  function storageKey(root) {
    return STORAGE_PREFIX + (root.dataset.tileHost || location.host);
  }

  function rememberConsent(root, value) {
    try {
      if (value) {
        window.sessionStorage.setItem(storageKey(root), "1");
      } else {
        window.sessionStorage.removeItem(storageKey(root));
      }
    } catch (e) {
      // Storage may be disabled; the visitor then simply clicks again on the next page.
    }
  }

  function hasConsent(root) {
    try {
      return window.sessionStorage.getItem(storageKey(root)) === "1";
    } catch (e) {
      return false;
    }
  }

  function readPoints(root) {
    var script = document.getElementById(root.dataset.points || "");
    if (!script) {
      return [];
    }
    try {
      var data = JSON.parse(script.textContent);
      return Array.isArray(data) ? data : [];
    } catch (e) {
      return [];
    }
  }

  /* Only links within the portal or to http(s) pages, never javascript: or data: URLs. */
  function safeHref(url) {
    try {
      var parsed = new URL(String(url || ""), document.baseURI);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function popupContent(point) {
    var box = document.createElement("div");
    box.className = "sc5-map-popup";
    var heading = document.createElement("p");
    heading.className = "sc5-map-popup__title";
    var href = safeHref(point.url);
    var title = href ? document.createElement("a") : document.createElement("span");
    if (href) {
      title.href = href;
    }
    title.textContent = String(point.title || "");
    heading.appendChild(title);
    box.appendChild(heading);
    ["place", "meta"].forEach(function (key) {
      if (point[key]) {
        var line = document.createElement("p");
        line.textContent = String(point[key]);
        box.appendChild(line);
      }
    });
    return box;
  }

  /* Leaflet's default icon guesses its URL from leaflet.css, which fails once collectstatic has hashed
   * the file names; the template hands us the real URLs instead. */
  function markerIcon(root) {
    if (!root.dataset.icon) {
      return new window.L.Icon.Default();
    }
    return window.L.icon({
      iconUrl: root.dataset.icon,
      iconRetinaUrl: root.dataset.icon2x || root.dataset.icon,
      shadowUrl: root.dataset.iconShadow || "",
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      popupAnchor: [1, -34],
      tooltipAnchor: [16, -28],
      shadowSize: [41, 41],
    });
  }

  function addMarker(map, point, icon) {
    var label = String(point.title || "");
    var marker = window.L.marker([point.lat, point.lon], {
      icon: icon,
      title: label,
      alt: label,
      keyboard: true,
      riseOnHover: true,
    });
    marker.bindPopup(popupContent(point));
    // Keyboard: Enter on a focused marker opens its popup; put the focus on the link in it,
    // and back on the marker when the popup closes (Escape or the close button).
    marker.on("popupopen", function (event) {
      var icon = marker.getElement();
      if (icon && document.activeElement === icon) {
        var link = event.popup.getElement() && event.popup.getElement().querySelector(".sc5-map-popup a");
        if (link) {
          link.focus();
        }
      }
    });
    marker.on("popupclose", function (event) {
      var popupEl = event.popup.getElement();
      var active = document.activeElement;
      var icon = marker.getElement();
      if (icon && (!active || active === document.body || (popupEl && popupEl.contains(active)))) {
        icon.focus();
      }
    });
    marker.addTo(map);
    return marker;
  }

  function setStatus(root, text) {
    var status = root.querySelector("[data-sc5-map-status]");
    if (!status) {
      return;
    }
    status.textContent = "";
    if (text) {
      var p = document.createElement("p");
      p.className = "kern-body";
      p.textContent = text;
      status.appendChild(p);
    }
  }

  /* Leaflet (about 45 KiB compressed) is fetched when a map first opens, not with the page: most visitors never
   * open one. components/map.html names the files on this script's tag (data-leaflet-js/-css); a page that loads
   * Leaflet itself (the place picker) has window.L already. */
  var leafletLoading = null;

  function loadLeaflet() {
    if (window.L) {
      return Promise.resolve();
    }
    if (leafletLoading) {
      return leafletLoading;
    }
    var source = document.querySelector("[data-leaflet-js]");
    if (!source) {
      return Promise.reject(new Error("Leaflet is not named on this page"));
    }
    function load(element) {
      return new Promise(function (resolve, reject) {
        element.addEventListener("load", resolve);
        element.addEventListener("error", reject);
        document.head.appendChild(element);
      });
    }
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = source.dataset.leafletCss;
    var script = document.createElement("script");
    script.src = source.dataset.leafletJs;
    leafletLoading = Promise.all([load(css), load(script)]).catch(function (error) {
      leafletLoading = null;
      throw error;
    });
    return leafletLoading;
  }

  /* A map with data-geojson fetches its points (a GeoJSON FeatureCollection, longitude first) when it opens;
   * otherwise they are in the page (data-points names a JSON script). */
  function fetchPoints(root) {
    var url = root.dataset.geojson;
    if (!url) {
      return Promise.resolve(readPoints(root));
    }
    return window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("map points: " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        var features = data && Array.isArray(data.features) ? data.features : [];
        return features.filter(function (f) {
          return f && f.geometry && Array.isArray(f.geometry.coordinates);
        }).map(function (f) {
          var props = f.properties || {};
          return { title: props.title, url: props.url, place: props.place, meta: props.meta,
                   lat: f.geometry.coordinates[1], lon: f.geometry.coordinates[0] };
        });
      });
  }

  function showMap(root, moveFocus) {
    Promise.all([loadLeaflet(), fetchPoints(root)]).then(function (loaded) {
      openMap(root, moveFocus, loaded[1]);
    }, function () {
      rememberConsent(root, false);
      setStatus(root, root.dataset.msgError || "");
    });
  }

  function openMap(root, moveFocus, found) {
    if (root.sc5Map || !window.L) {
      return;
    }
    var points = found.filter(function (p) {
      return typeof p.lat === "number" && typeof p.lon === "number";
    });
    var canvas = root.querySelector("[data-sc5-map-canvas]");
    var button = root.querySelector("[data-sc5-map-show]");
    if (!canvas || !points.length) {
      return;
    }
    setStatus(root, "");
    canvas.hidden = false;
    if (button) {
      button.hidden = true;
      button.setAttribute("aria-expanded", "true");
    }
    var hint = button && document.getElementById(button.getAttribute("aria-describedby") || "");
    if (hint) {
      hint.hidden = true;
    }

    var map = window.L.map(canvas, {
      keyboard: true,
      zoomControl: false,
      scrollWheelZoom: false,
    });
    window.L.control.zoom({
      zoomInTitle: root.dataset.msgZoomIn || "Zoom in",
      zoomOutTitle: root.dataset.msgZoomOut || "Zoom out",
    }).addTo(map);
    root.sc5Map = map;

    var bounds = window.L.latLngBounds(points.map(function (p) { return [p.lat, p.lon]; }));
    map.fitBounds(bounds, { padding: [32, 32], maxZoom: 16 });
    var icon = markerIcon(root);
    var markers = points.map(function (p) { return addMarker(map, p, icon); });
    // Leaflet closes a popup with Escape only while the map container itself has the focus;
    // also close it when the focus is on a marker or on the link inside the popup.
    canvas.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || event.target === canvas) {
        return;
      }
      markers.forEach(function (marker) {
        if (marker.isPopupOpen()) {
          event.preventDefault();
          marker.closePopup();
          if (marker.getElement()) {
            marker.getElement().focus();
          }
        }
      });
    });

    var errors = 0;
    var loaded = 0;
    var settled = false;
    var timer = window.setTimeout(function () { fail(); }, LOAD_TIMEOUT_MS);

    function fail() {
      if (settled || root.sc5Map !== map) {
        return;
      }
      settled = true;
      window.clearTimeout(timer);
      var hadFocus = canvas.contains(document.activeElement);
      map.remove();
      root.sc5Map = null;
      canvas.hidden = true;
      rememberConsent(root, false);
      setStatus(root, root.dataset.msgError || "");
      if (hint) {
        hint.hidden = false;
      }
      if (button) {
        button.hidden = false;
        button.setAttribute("aria-expanded", "false");
        if (hadFocus) {
          button.focus();
        }
      }
    }

    var tiles = window.L.tileLayer(root.dataset.tileUrl, {
      // The attribution is operator configuration (MAP_TILE_ATTRIBUTION), not page data.
      attribution: root.dataset.tileAttribution || "",
      maxZoom: 19,
      // The portal sends no Referer across origins (SECURE_REFERRER_POLICY); tile servers such as
      // tile.openstreetmap.org require one, so tell them our origin only, never the page path.
      referrerPolicy: "strict-origin",
    });
    tiles.on("tileerror", function () {
      errors += 1;
      if (!settled && errors >= MAX_TILE_ERRORS) {
        fail();
      }
    });
    tiles.on("tileload", function () {
      loaded += 1;
    });
    tiles.on("load", function () {
      if (settled) {
        return;
      }
      if (!loaded) {
        fail();
        return;
      }
      // The first view is complete: from now on a lost tile now and then does not remove the map.
      settled = true;
      window.clearTimeout(timer);
    });
    tiles.addTo(map);

    if (moveFocus) {
      canvas.focus();
    }
  }

  function init(root) {
    if (root.sc5MapReady) {
      return;
    }
    root.sc5MapReady = true;
    var button = root.querySelector("[data-sc5-map-show]");
    if (button) {
      button.setAttribute("aria-expanded", "false");
      button.addEventListener("click", function () {
        rememberConsent(root, true);
        showMap(root, true);
      });
    }
    if (hasConsent(root)) {
      // Consent given earlier in this session: open straight away, but do not take the focus.
      showMap(root, false);
    }
  }

  function initAll() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-sc5-map]"), init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
  // Maps swapped in by htmx.
  document.addEventListener("htmx:load", initAll);
  // Shared with the place picker (place-picker.js), which is loaded after this file.
  window.SC5Map = { markerIcon: markerIcon, setStatus: setStatus };
})();
