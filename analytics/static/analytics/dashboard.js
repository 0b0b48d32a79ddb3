/* The staff dashboard's charts and map. Data comes from the json_script tags the page renders;
   nothing here talks to the network except the map tiles, and only when MAP_TILE_URL is set. */
(function () {
  "use strict";

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function charts(chartData) {
    if (!window.Chart || !chartData) return;
    var trend = chartData.trend;
    var trendChart = new window.Chart(document.getElementById("trend-chart"), {
      type: "line",
      data: {
        labels: trend.labels,
        datasets: [
          { label: "Received", data: trend.received, borderColor: "#0b5cad", tension: 0.2 },
          { label: "Resolved", data: trend.resolved, borderColor: "#1a7f37", tension: 0.2 },
          { label: "Received, previous period", data: trend.previous_received, borderColor: "#9aa4ad", borderDash: [4, 4], tension: 0.2 }
        ]
      },
      options: { animation: false, responsive: true, interaction: { mode: "index", intersect: false } }
    });
    var backlog = chartData.backlog;
    var backlogChart = new window.Chart(document.getElementById("backlog-chart"), {
      type: "bar",
      data: { labels: backlog.labels, datasets: [{ label: "Open complaints", data: backlog.counts, backgroundColor: "#f0b429" }] },
      options: { animation: false, responsive: true, plugins: { legend: { display: false } } }
    });
    document.body.dataset.chartsReady = String([trendChart, backlogChart].length);
  }

  function map(mapData) {
    // No tile server configured (or no Leaflet): the ward table below is the map.
    if (!window.L || !mapData || !mapData.tile_url || !mapData.cells.length) return;
    var element = document.getElementById("map");
    element.hidden = false;
    var leafletMap = window.L.map(element);
    window.L.tileLayer(mapData.tile_url, { attribution: mapData.attribution, maxZoom: 18 }).addTo(leafletMap);
    var max = Math.max.apply(null, mapData.cells.map(function (cell) { return cell.count; }));
    var bounds = [];
    mapData.cells.forEach(function (cell) {
      var half = mapData.cell_degrees / 2;
      var square = [[cell.latitude - half, cell.longitude - half], [cell.latitude + half, cell.longitude + half]];
      window.L.rectangle(square, { weight: 0, fillColor: "#d1242f", fillOpacity: 0.15 + 0.65 * cell.count / max })
        .bindTooltip(cell.count + " complaints")
        .addTo(leafletMap);
      bounds.push(square[0], square[1]);
    });
    leafletMap.fitBounds(bounds);
    document.body.dataset.mapCells = String(mapData.cells.length);
  }

  document.addEventListener("DOMContentLoaded", function () {
    charts(data("chart-data"));
    map(data("map-data"));
  });
})();
