// Plays one answer on its own timeline: words, pauses, sounds and the screen's steps, at the times the
// server worked out from the SSML and the APL (skill/tryout/timeline.py). Times are whole milliseconds
// from the moment playback starts, read from Date.now(), so a page under a test's fake clock plays a
// minute of counting in no time. The browser's voice and the tone are best-effort extras: the timeline
// never waits for them.
"use strict";

const SHOWN_PAUSE_MS = 1000;   // shorter pauses are felt, not written out
const TONE_MAX_SECONDS = 0.4;

class Player {
  // view: {words(segment, words), pause(seconds), sound(label), screen(component, value)}
  constructor(view) {
    this.view = view;
    this.voice = true;
    this.timer = null;
    this.events = [];
    this.next = 0;
    this.startedAt = 0;
    this.onEnd = null;
    this.audio = null;
    this.generation = 0;   // moves on every stop: a tick of an earlier answer then does nothing more
  }

  get playing() {
    return this.timer !== null;
  }

  // Call from a click or key press: browsers start audio only after the user did something.
  unlock() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!this.audio && Context) {
      try { this.audio = new Context(); } catch (err) { this.audio = null; }
    }
  }

  play(speech, screen, onEnd) {
    this.stop();
    this.events = timeline(speech, screen);
    this.next = 0;
    this.onEnd = onEnd;
    this.startedAt = Date.now();
    this.tick();
  }

  // Stop where it is (the user spoke over it): the screen keeps what it shows now.
  stop() {
    this.generation += 1;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.onEnd = null;
    this.events = [];
    if (window.speechSynthesis) window.speechSynthesis.cancel();
  }

  tick() {
    this.timer = null;
    const elapsed = Date.now() - this.startedAt;
    const generation = this.generation;
    while (this.next < this.events.length && this.events[this.next].at <= elapsed) {
      this.apply(this.events[this.next++]);
      if (this.generation !== generation) return;   // what the event did stopped or replaced this answer
    }
    if (this.next < this.events.length) {
      this.timer = setTimeout(() => this.tick(), this.events[this.next].at - elapsed);
    }
  }

  apply(event) {
    switch (event.kind) {
      case "say": this.speak(event.segment); break;
      case "word": this.view.word(event.word, event.first); break;
      case "pause": if (event.seconds * 1000 >= SHOWN_PAUSE_MS) this.view.pause(event.seconds); break;
      case "sound": this.view.sound(event.label); this.tone(event.seconds); break;
      case "screen": this.view.screen(event.component, event.value); break;
      case "end": {
        const onEnd = this.onEnd;
        this.onEnd = null;
        if (onEnd) onEnd();
        break;
      }
    }
  }

  speak(segment) {
    if (!this.voice || !window.speechSynthesis || !window.SpeechSynthesisUtterance) return;
    try {
      const utterance = new SpeechSynthesisUtterance(segment.text);
      utterance.rate = Math.min(10, Math.max(0.1, segment.rate / 100));
      utterance.lang = document.documentElement.lang || "en-US";
      window.speechSynthesis.speak(utterance);
    } catch (err) {
      this.voice = false;   // no voice here: the words still appear on time
    }
  }

  tone(seconds) {
    if (!this.audio || seconds <= 0) return;
    try {
      const now = this.audio.currentTime;
      const length = Math.min(seconds, TONE_MAX_SECONDS);
      const oscillator = this.audio.createOscillator();
      const gain = this.audio.createGain();
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, now);
      gain.gain.exponentialRampToValueAtTime(0.001, now + length);
      oscillator.connect(gain).connect(this.audio.destination);
      oscillator.start(now);
      oscillator.stop(now + length);
    } catch (err) {
      this.audio = null;
    }
  }
}

// Every event of an answer in time order (ties keep the order they were made in), each at whole ms.
function timeline(speech, screen) {
  const events = [];
  const at = (seconds) => Math.round(seconds * 1000);
  for (const segment of (speech && speech.segments) || []) {
    if (segment.kind === "say") {
      events.push({ at: at(segment.at), kind: "say", segment });
      const perWord = segment.seconds / Math.max(1, segment.words.length);
      segment.words.forEach((word, index) => {
        events.push({ at: at(segment.at + index * perWord), kind: "word", word, first: index === 0 });
      });
    } else if (segment.kind === "pause") {
      events.push({ at: at(segment.at), kind: "pause", seconds: segment.seconds });
    } else if (segment.kind === "sound") {
      events.push({ at: at(segment.at), kind: "sound", label: segment.text, seconds: segment.seconds });
    }
  }
  for (const step of (screen && screen.steps) || []) {
    events.push({ at: at(step.at), kind: "screen", component: step.component, value: step.value });
  }
  events.push({ at: at((speech && speech.seconds) || 0), kind: "end" });
  return events.map((event, order) => ({ ...event, order }))
    .sort((a, b) => a.at - b.at || a.order - b.order);
}
