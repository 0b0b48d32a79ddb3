/* The filing page's location: a pin on the map (when tiles are configured) or from "use my
   location", written into the form's hidden latitude/longitude; then the open complaints of the
   same kind near the pin, with "Me too" (an HTML fragment from the server, already translated).
   Without JavaScript none of this shows and the citizen types an address or landmark. */
(function () {
  "use strict";
  var tools = document.getElementById("location-tools");
  if (!tools) { return; }
  var form = tools.closest("form");
  var latInput = form.querySelector("input[name=latitude]");
  var lngInput = form.querySelector("input[name=longitude]");
  var statusLine = document.getElementById("pin-status");
  var clearButton = document.getElementById("clear-pin");
  var locateButton = document.getElementById("use-my-location");
  var nearby = document.getElementById("nearby");
  var category = form.querySelector("select[name=category]");
  var subcategory = form.querySelector("select[name=subcategory]");
  var map = null;
  var marker = null;
  var lastQuery = "";

  tools.hidden = false;
  if (!navigator.geolocation) { locateButton.hidden = true; }

  function say(text) { statusLine.textContent = text; }

  function refreshNearby() {
    if (!latInput.value || !lngInput.value || !category.value) {
      nearby.hidden = true; nearby.innerHTML = ""; lastQuery = ""; return;
    }
    var query = new URLSearchParams({
      lat: latInput.value, lng: lngInput.value, category: category.value, subcategory: subcategory.value
    }).toString();
    if (query === lastQuery) { return; }
    lastQuery = query;
    fetch(tools.dataset.nearbyUrl + "?" + query, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (query !== lastQuery) { return; }
        nearby.innerHTML = html;
        nearby.hidden = !html.trim();
      })
      .catch(function () { nearby.hidden = true; });
  }

  function setPin(lat, lng, options) {
    lat = Math.round(Number(lat) * 1e6) / 1e6;
    lng = Math.round(Number(lng) * 1e6) / 1e6;
    if (!isFinite(lat) || !isFinite(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180) { return; }
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    clearButton.hidden = false;
    say(tools.dataset.textPin.replace("%(lat)s", lat.toFixed(5)).replace("%(lng)s", lng.toFixed(5)));
    if (map) {
      if (marker) { marker.setLatLng([lat, lng]); } else {
        marker = window.L.marker([lat, lng], { draggable: true, keyboard: true }).addTo(map);
        marker.on("dragend", function () { var p = marker.getLatLng(); setPin(p.lat, p.lng, { keepView: true }); });
      }
      if (!(options && options.keepView)) { map.setView([lat, lng], Math.max(map.getZoom(), 17)); }
    }
    refreshNearby();
  }

  function clearPin() {
    latInput.value = ""; lngInput.value = "";
    clearButton.hidden = true;
    say("");
    if (marker) { marker.remove(); marker = null; }
    refreshNearby();
  }

  if (tools.dataset.tileUrl && window.L) {
    var center = tools.dataset.center.split(",").map(Number);
    var mapElement = document.getElementById("map");
    mapElement.setAttribute("role", "application");
    mapElement.setAttribute("aria-label", tools.dataset.textMapHelp);
    map = window.L.map(mapElement).setView(center, 13);
    window.L.tileLayer(tools.dataset.tileUrl, { maxZoom: 19, attribution: tools.dataset.attribution }).addTo(map);
    map.on("click", function (event) { setPin(event.latlng.lat, event.latlng.lng, { keepView: true }); });
  } else {
    var mapBox = document.getElementById("map");
    if (mapBox) { mapBox.hidden = true; }
  }

  locateButton.addEventListener("click", function () {
    say(tools.dataset.textLocating);
    navigator.geolocation.getCurrentPosition(
      function (position) { setPin(position.coords.latitude, position.coords.longitude); },
      function () { say(tools.dataset.textNoLocation); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
  clearButton.addEventListener("click", clearPin);
  category.addEventListener("change", refreshNearby);
  subcategory.addEventListener("change", refreshNearby);

  // After a form error the pin comes back from the hidden fields.
  if (latInput.value && lngInput.value) { setPin(latInput.value, lngInput.value); }

  // For tests and for other scripts: put the pin without the map.
  window.grievanceLocation = { setPin: setPin, clearPin: clearPin };
})();
