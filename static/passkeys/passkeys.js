// Passkeys in the console: enrol one ([data-passkey-enrol] form) and use one at the MFA step
// ([data-passkey-verify] button). The server sends WebAuthn options as JSON with base64url strings for the
// binary members; the browser's API wants ArrayBuffers, and its answers go back as base64url again.
(() => {
  "use strict";

  const fromBase64url = (value) => {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((value.length + 3) % 4);
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
  };
  const toBase64url = (buffer) => {
    if (!buffer) return null;
    let text = "";
    for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const descriptors = (list) => (list || []).map((item) => ({ ...item, id: fromBase64url(item.id) }));

  class Refusal extends Error {
    constructor(problem) {
      super(problem.detail || "The server refused the passkey.");
      this.problem = problem;
    }
  }

  async function post(url, form, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value,
      },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Refusal(data);
    return data;
  }

  function browserMessage(error) {
    if (error instanceof Refusal) return error.message;
    if (error && error.name === "NotAllowedError") return "The passkey request was cancelled or timed out. Try again.";
    if (error && error.name === "InvalidStateError") return "This authenticator already holds a passkey for your account.";
    if (error && error.name === "SecurityError") return "This browser refused passkeys for this address.";
    return "Something went wrong with the passkey. Try again.";
  }

  function show(element, message) {
    element.textContent = message;
    element.hidden = !message;
  }

  function supported(status) {
    if (window.PublicKeyCredential && navigator.credentials) return true;
    show(status, "This browser does not support passkeys.");
    return false;
  }

  function enrol(form) {
    const status = form.querySelector("[data-passkey-status]");
    const nameError = form.querySelector("[data-passkey-name-error]");
    const nameInput = form.querySelector("input[name=name]");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      show(status, "");
      show(nameError, "");
      nameInput.removeAttribute("aria-invalid");
      if (!supported(status)) return;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const options = await post(form.dataset.beginUrl, form, { name: nameInput.value });
        const credential = await navigator.credentials.create({
          publicKey: {
            ...options,
            challenge: fromBase64url(options.challenge),
            user: { ...options.user, id: fromBase64url(options.user.id) },
            excludeCredentials: descriptors(options.excludeCredentials),
          },
        });
        const result = await post(form.dataset.completeUrl, form, {
          credential: {
            id: credential.id,
            rawId: toBase64url(credential.rawId),
            type: credential.type,
            authenticatorAttachment: credential.authenticatorAttachment || null,
            clientExtensionResults: credential.getClientExtensionResults(),
            response: {
              clientDataJSON: toBase64url(credential.response.clientDataJSON),
              attestationObject: toBase64url(credential.response.attestationObject),
              transports: credential.response.getTransports ? credential.response.getTransports() : [],
            },
          },
        });
        if (result.backup_codes && result.backup_codes.length) {
          const codes = document.querySelector("[data-passkey-backup-codes]");
          const list = codes.querySelector("ul");
          for (const code of result.backup_codes) {
            const item = document.createElement("li");
            const text = document.createElement("code");
            text.textContent = code;
            item.append(text);
            list.append(item);
          }
          form.hidden = true;
          codes.hidden = false;
          codes.querySelector("h2").focus();
          return;
        }
        window.location.assign(form.dataset.doneUrl);
      } catch (error) {
        const problem = error instanceof Refusal ? error.problem : {};
        if (problem.errors && problem.errors.name) {
          show(nameError, problem.errors.name.join(" "));
          nameInput.setAttribute("aria-invalid", "true");
          nameInput.focus();
        } else {
          show(status, browserMessage(error));
        }
      } finally {
        button.disabled = false;
      }
    });
  }

  function verify(form) {
    const status = form.querySelector("[data-passkey-status]");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      show(status, "");
      if (!supported(status)) return;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const options = await post(form.dataset.beginUrl, form, {});
        const credential = await navigator.credentials.get({
          publicKey: {
            ...options,
            challenge: fromBase64url(options.challenge),
            allowCredentials: descriptors(options.allowCredentials),
          },
        });
        const result = await post(form.dataset.completeUrl, form, {
          next: form.querySelector("input[name=next]").value,
          credential: {
            id: credential.id,
            rawId: toBase64url(credential.rawId),
            type: credential.type,
            authenticatorAttachment: credential.authenticatorAttachment || null,
            clientExtensionResults: credential.getClientExtensionResults(),
            response: {
              clientDataJSON: toBase64url(credential.response.clientDataJSON),
              authenticatorData: toBase64url(credential.response.authenticatorData),
              signature: toBase64url(credential.response.signature),
              userHandle: toBase64url(credential.response.userHandle),
            },
          },
        });
        window.location.assign(result.redirect_url);
      } catch (error) {
        show(status, browserMessage(error));
        button.disabled = false;
      }
    });
  }

  document.querySelectorAll("form[data-passkey-enrol]").forEach(enrol);
  document.querySelectorAll("form[data-passkey-verify]").forEach(verify);
})();
