// The playground streams its answer: the form is sent with fetch to a same-origin console endpoint (the session
// authenticates it, the form's CSRF token goes with it) and the server-sent events are read from the response
// body as they come. The page shows only what the gateway released after its PHI handling; a Stop button aborts
// the request, and the gateway records the call as cancelled. Without JavaScript the form posts as before.

const form = document.querySelector("form[data-playground]");
if (form && window.fetch && window.ReadableStream && window.TextDecoderStream) {
  setUp(form);
}

function setUp(form) {
  const result = document.getElementById("playground-result");
  const status = document.getElementById("playground-status");
  const send = form.querySelector("[data-send]");
  const stop = form.querySelector("[data-stop]");
  let controller = null;

  const say = (text, busy) => {
    status.textContent = text;
    status.classList.toggle("busy", Boolean(busy));
  };
  const running = (on) => {
    const stopHadFocus = document.activeElement === stop;
    send.setAttribute("aria-disabled", on ? "true" : "false");
    stop.hidden = !on;
    result.setAttribute("aria-busy", on ? "true" : "false");
    if (!on && stopHadFocus) send.focus(); // a hidden button would drop the focus to the page
  };
  const recorded = () => document.body.dispatchEvent(new Event("inference-recorded"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (controller) return; // one answer at a time
    controller = new AbortController();
    const body = new FormData(form);
    running(true);
    say("Checking the prompt for PHI and sending it…", true);
    let received = 0;
    let answer = null;
    try {
      const response = await fetch(form.dataset.streamUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "text/event-stream", "X-CSRFToken": body.get("csrfmiddlewaretoken") },
        signal: controller.signal,
      });
      const type = response.headers.get("Content-Type") || "";
      if (!type.startsWith("text/event-stream")) {
        if (response.headers.get("X-Playground") === "panel") {
          result.innerHTML = await response.text(); // form errors or a refusal, rendered by the server
          say(response.status === 400 ? "Not sent: correct the fields named below." : "Not sent: see below.");
        } else {
          say(`Not sent: the server answered ${response.status}.`);
        }
        recorded();
        return;
      }
      say("Waiting for the model…", true);
      for await (const [name, data] of events(response.body)) {
        if (name === "prompt") {
          result.innerHTML = data.html; // the marked prompt and what the model received
          answer = answerBox(result);
        } else if (name === "delta") {
          answer.append(data.text); // text only: never parsed as markup
          received += data.text.length;
          say(`Receiving the answer… ${received} characters so far.`, true);
        } else if (name === "done" || name === "error") {
          result.innerHTML = data.html; // the answer again, with its PHI marked
          say(data.status, false);
        }
      }
      recorded();
    } catch (error) {
      if (error.name === "AbortError") {
        say("Stopped. Nothing more of the answer is shown; the gateway records the call as cancelled.", false);
        if (answer) answer.dataset.outcome = "cancelled";
        setTimeout(recorded, 1000); // the server notices the closed connection on its next write
      } else {
        say("The connection was lost before the answer finished.", false);
      }
    } finally {
      controller = null;
      running(false);
    }
  });

  stop.addEventListener("click", () => {
    if (controller) controller.abort();
  });

  // Escape hides the tip of the focused or hovered mark until the focus or the pointer moves on (WCAG 1.4.13).
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const mark of result.querySelectorAll("mark.phi:hover, mark.phi:focus")) mark.classList.add("tip-dismissed");
  });
  const undismiss = (event) => {
    if (event.target instanceof Element && event.target.matches("mark.phi")) event.target.classList.remove("tip-dismissed");
  };
  result.addEventListener("focusout", undismiss);
  result.addEventListener("mouseout", undismiss);
}

function answerBox(result) {
  const heading = document.createElement("h3");
  heading.textContent = "Answer";
  const answer = document.createElement("pre");
  answer.className = "marked answer streaming";
  answer.dataset.testid = "answer";
  result.append(heading, answer);
  return answer;
}

// Server-sent events from a response body: [event name, parsed JSON data] as each arrives.
async function* events(stream) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length) yield [name, JSON.parse(data.join("\n"))];
    }
  }
}
