// The try page: what the user says goes to the server with the page's clock time; the answer plays
// (player.js); then Alexa's silences: the reprompt after 8 s, and after 8 s more the session ends
// (the server sends the skill a SessionEndedRequest). Saying anything while an answer plays cuts it
// off, as "Alexa, ..." does on a device. When the skill asks for a permission, Alexa's own question is
// shown and the next thing said answers it. No Alexa logic here: the server matches, builds and posts.
"use strict";

const SILENCE_MS = 8000;        // how long Alexa listens after speaking before it gives up
const KEPT_EXCHANGES = 30;      // JSON panel entries kept (the newest first)

const page = (window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
const $ = (selector) => document.querySelector(selector);
const transcript = $("#transcript");
const exchanges = $("#exchanges");
const status = $("#status");
const form = $("#say-form");
const input = $("#text");

let inSession = false;
let busy = false;
let silenceTimer = null;
let answerLine = null;          // the transcript line the answer playing now writes into
let exchangeCount = 0;

const player = new Player({
  word(word, first) { if (answerLine) append(answerLine, "word", (first ? "" : " ") + word); },
  pause(seconds) { if (answerLine) append(answerLine, "pause", ` … ${formatSeconds(seconds)} … `); },
  sound(label) { if (answerLine) append(answerLine, "sound", ` ♪ ${label} `); },
  screen(component, value) { setScreen({ [component]: value }); },
});

function formatSeconds(seconds) {
  return `${Number(seconds.toFixed(2))} s`;
}

function append(line, kind, text) {
  const span = document.createElement("span");
  span.className = kind;
  span.textContent = text;
  line.querySelector(".said").appendChild(span);
  transcript.scrollTop = transcript.scrollHeight;
}

function addLine(who, text, kind) {
  const line = document.createElement("li");
  line.className = kind || who.toLowerCase();
  const name = document.createElement("span");
  name.className = "who";
  name.textContent = who;
  const said = document.createElement("span");
  said.className = "said";
  said.textContent = text || "";
  line.append(name, said);
  transcript.appendChild(line);
  transcript.scrollTop = transcript.scrollHeight;
  return line;
}

function note(text) {
  return addLine("", text, "note");
}

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

function setScreen(values) {
  for (const [component, value] of Object.entries(values)) {
    const element = document.querySelector(`#screen [data-component="${CSS.escape(component)}"]`);
    if (element) element.textContent = value;
  }
}

function clearScreen() {
  setScreen({ title: "Foot Coach", caption: "", counter: "" });
}

function cancelSilence() {
  if (silenceTimer !== null) clearTimeout(silenceTimer);
  silenceTimer = null;
}

// The user spoke: whatever plays stops here, and the request carries this moment's time.
async function say(text) {
  if (busy) return;
  const at = Date.now();
  player.unlock();
  cutOff();
  addLine("You", text);
  await send("api/say", { page, text, at });
}

function cutOff() {
  cancelSilence();
  if (player.playing && answerLine) append(answerLine, "cut", " (cut off)");
  player.stop();
  answerLine = null;
}

async function send(path, body) {
  busy = true;
  form.classList.add("busy");
  setStatus("thinking", "…");
  try {
    const reply = await fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const played = await reply.json();
    if (!reply.ok) {
      note(`The page's request was refused (HTTP ${reply.status}): ${played.error || ""}`);
      setStatus(inSession ? "listening" : "closed", inSession ? "Listening" : "Session closed");
      return;
    }
    show(played);
  } catch (err) {
    note(`No answer from the server: ${err}`);
    setStatus("closed", "Session closed");
  } finally {
    busy = false;
    form.classList.remove("busy");
  }
}

function show(played) {
  if (played.request) logExchange(played);
  if (played.heard) note(`[${played.heard}]`);
  if (played.error) note(`The skill answered HTTP ${played.status}: ${played.error}`);
  for (const line of played.notes || []) note(`[${line}]`);
  inSession = !played.ends_session;
  if (played.screen) {
    clearScreen();
    setScreen(played.screen.frame);
  } else if (!inSession) {
    clearScreen();
  }
  speak(played.speech, played.screen, () => afterAnswer(played));
}

function speak(speech, screen, then) {
  answerLine = speech ? addLine("Alexa", "") : null;
  if (speech) setStatus("speaking", "Alexa is speaking");
  player.play(speech, screen, () => { answerLine = null; then(); });
}

function afterAnswer(played) {
  if (played.alexa_asks) {
    // The skill handed the session to Alexa, which asks in its own voice; the next thing said answers it.
    addLine("Alexa", `${played.alexa_asks} (Alexa's own question)`);
    listen(silence);
    return;
  }
  if (!inSession) {
    setStatus("closed", "Session closed");
    note("(session closed; say something to open Foot Coach again)");
    return;
  }
  listen(() => {
    if (!played.reprompt) return silence();
    note("(8 s of silence: Alexa says the reprompt)");
    speak(played.reprompt, null, () => listen(silence));
  });
}

function listen(then) {
  setStatus("listening", "Listening");
  cancelSilence();
  silenceTimer = setTimeout(() => { silenceTimer = null; then(); }, SILENCE_MS);
}

async function silence() {
  note("(8 s of silence again: Alexa ends the session)");
  await send("api/silence", { page, at: Date.now() });
}

function logExchange(played) {
  exchangeCount += 1;
  const entry = document.createElement("details");
  entry.className = "exchange";
  entry.open = true;
  const request = played.request.request || {};
  const what = request.type === "IntentRequest" ? request.intent.name : request.type;
  const summary = document.createElement("summary");
  summary.textContent = `#${exchangeCount} ${what}${request.reason ? " " + request.reason : ""} → HTTP ${played.status}`;
  entry.appendChild(summary);
  for (const [label, body] of [["request", played.request], ["response", played.response]]) {
    const title = document.createElement("div");
    title.className = "label";
    title.textContent = label;
    const pre = document.createElement("pre");
    pre.className = label;
    pre.textContent = JSON.stringify(body, null, 2);
    entry.append(title, pre);
  }
  for (const older of exchanges.querySelectorAll("details")) older.open = false;
  exchanges.prepend(entry);
  while (exchanges.children.length > KEPT_EXCHANGES) exchanges.lastElementChild.remove();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text || busy) return;
  input.value = "";
  say(text);
});

for (const button of document.querySelectorAll("[data-say]")) {
  button.addEventListener("click", () => say(button.dataset.say));
}

$("#voice").addEventListener("change", (event) => {
  player.voice = event.target.checked;
  if (!player.voice && window.speechSynthesis) window.speechSynthesis.cancel();
});
