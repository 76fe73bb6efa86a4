// The live page (served as /static/live.js: the page's CSP allows no inline script). The page comes
// with the sites as they are; this keeps them and the list of events live from /feed. Every event
// carries its sentence in both languages (textde, texten), told by the server; words the script
// shows itself (states, connection) come from the page's data attributes, in the page's language.
const LANG = document.documentElement.lang === "en" ? "en" : "de";
const board = document.getElementById("hotspots");
const words = board.dataset;
const connection = document.getElementById("verbindung");

function zeit(iso) {
  // Bottrop's time, without seconds
  return new Date(iso).toLocaleString(LANG === "en" ? "en-GB" : "de-DE", {
    timeZone: "Europe/Berlin", dateStyle: "short", timeStyle: "short",
  });
}

function zeigeHotspot(id, name, status, since) {
  let li = document.getElementById("hotspot-" + id);
  if (!li) {
    if (!name) return; // a status of a site not yet named: the page shows it after its registration
    li = document.createElement("li");
    li.id = "hotspot-" + id;
    li.dataset.hotspot = id;
    const nameSpan = document.createElement("span");
    nameSpan.className = "name";
    const statusSpan = document.createElement("span");
    statusSpan.className = "status";
    li.append(nameSpan, statusSpan);
    const empty = board.querySelector("li:not([data-hotspot])");
    if (empty) empty.remove();
    board.appendChild(li);
  }
  if (name) li.querySelector(".name").textContent = name;
  if (status !== undefined) {
    li.className = "hotspot " + (status || "unbekannt");
    li.dataset.status = status || "";
    li.querySelector(".status").textContent = words[status] || words.unknown;
  }
  if (since) {
    let sinceSpan = li.querySelector(".since");
    if (!sinceSpan) {
      sinceSpan = document.createElement("span");
      sinceSpan.className = "since";
      li.appendChild(sinceSpan);
    }
    const time = document.createElement("time");
    time.dateTime = since;
    time.textContent = zeit(since);
    sinceSpan.replaceChildren(document.createTextNode(words.since + " "), time);
  }
}

function zeitpunkt(iso) {
  // Microseconds since 1970: events often lie within one millisecond, and Date.parse keeps only those.
  const fraction = /\.(\d+)/.exec(iso);
  return Date.parse(iso) * 1000 + (fraction ? Number((fraction[1] + "000000").slice(3, 6)) : 0);
}

function zeigeEreignis(e) {
  const text = e["text" + LANG];
  if (!text) return; // an event without its sentence is not shown: never a type string or an id
  const li = document.createElement("li");
  const time = document.createElement("time");
  time.dateTime = e.time; time.textContent = zeit(e.time);
  li.appendChild(time);
  li.appendChild(document.createTextNode(text));
  const list = document.getElementById("ereignisse");
  // Newest first. The backlog arrives stream by stream, so each event goes in by its time.
  const at = zeitpunkt(e.time);
  let before = list.firstChild;
  while (before && zeitpunkt(before.firstChild.dateTime) > at) before = before.nextSibling;
  list.insertBefore(li, before);
  while (list.children.length > 50) list.removeChild(list.lastChild);
}

let letzteId = "";

function verbinde() {
  // EventSource reconnects by itself and sends Last-Event-ID: the server replays what was missed
  // (the backlog only counts for the first connection, which has no id yet).
  const source = new EventSource(letzteId ? "/feed?last_event_id=" + encodeURIComponent(letzteId) : "/feed?backlog=20");
  source.addEventListener("ready", (ready) => {
    letzteId = ready.lastEventId || letzteId;
    connection.textContent = connection.dataset.live; connection.dataset.state = "live";
  });
  source.onerror = () => {
    connection.textContent = connection.dataset.offline; connection.dataset.state = "offline";
    // A refused connection (503: this instance is full) is not retried by the browser: later, by us.
    if (source.readyState === EventSource.CLOSED) setTimeout(verbinde, 10000 + Math.random() * 10000);
  };
  source.onmessage = (message) => {
    letzteId = message.lastEventId || letzteId;
    const e = JSON.parse(message.data), d = e.data || {}, t = e.type.replace("de.bottrop.hallobot.", "");
    if (t === "wifi.hotspot.registered") zeigeHotspot(d.hotspot_id, d.site_name);
    if (t === "wifi.hotspot.status_changed") zeigeHotspot(d.hotspot_id, undefined, d.status, d.since);
    zeigeEreignis(e);
  };
}

verbinde();
